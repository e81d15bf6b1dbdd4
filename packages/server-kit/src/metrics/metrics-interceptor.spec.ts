import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { TaskService } from "@sherpa/proto";
import { Health } from "@sherpa/proto/grpc/health/v1/health_pb.js";
import { ServerReflection } from "@sherpa/proto/grpc/reflection/v1/reflection_pb.js";
import { Registry } from "prom-client";
import type { ProtocolName } from "../logging/protocol-name.js";
import { grpcCodeName } from "./grpc-code-name.js";
import { createGrpcServerMetrics, type GrpcServerMetricsOptions } from "./grpc-server-metrics.js";
import { createMetricsInterceptor } from "./metrics-interceptor.js";
import { createInMemoryTransport } from "./testing/create-in-memory-transport.js";
import { HealthBatch } from "./testing/health-batch-service.js";
import { readSample } from "./testing/read-sample.js";
import { testRoutes } from "./testing/test-routes.js";

interface Clients {
  tasks: Client<typeof TaskService>;
  health: Client<typeof Health>;
  batch: Client<typeof HealthBatch>;
  reflection: Client<typeof ServerReflection>;
}

function createServer(protocol: ProtocolName, options?: GrpcServerMetricsOptions) {
  const registry = new Registry();
  const metrics = createGrpcServerMetrics(registry, options);
  const transport = createInMemoryTransport(testRoutes, {
    protocol,
    interceptors: [createMetricsInterceptor(metrics)],
  });
  const clients: Clients = {
    tasks: createClient(TaskService, transport),
    health: createClient(Health, transport),
    batch: createClient(HealthBatch, transport),
    reflection: createClient(ServerReflection, transport),
  };
  return { registry, clients };
}

type Rpc = Record<"grpc_type" | "grpc_service" | "grpc_method", string>;

async function readCallMetrics(registry: Registry, rpc: Rpc, code: string) {
  return {
    started: await readSample(registry, "grpc_server_started_total", rpc),
    handled: await readSample(registry, "grpc_server_handled_total", { ...rpc, grpc_code: code }),
    handlingCount: await readSample(registry, "grpc_server_handling_seconds_count", rpc),
    received: (await readSample(registry, "grpc_server_msg_received_total", rpc)) ?? 0,
    // A counter shows a label set only from its first increment.
    sent: (await readSample(registry, "grpc_server_msg_sent_total", rpc)) ?? 0,
    inFlight: await readSample(registry, "grpc_server_in_flight_requests", rpc),
  };
}

async function* from<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}

async function drain(messages: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of messages);
}

async function abortAfterFirstMessage(
  open: (signal: AbortSignal) => AsyncIterable<unknown>,
): Promise<void> {
  const abort = new AbortController();
  for await (const _ of open(abort.signal)) {
    abort.abort();
  }
}

const getTask = {
  grpc_type: "unary",
  grpc_service: "sherpa.v1.TaskService",
  grpc_method: "GetTask",
};
const submitTask = { ...getTask, grpc_method: "SubmitTask" };
const watch = {
  grpc_type: "server_stream",
  grpc_service: "grpc.health.v1.Health",
  grpc_method: "Watch",
};
const checkAll = {
  grpc_type: "client_stream",
  grpc_service: "test.v1.HealthBatch",
  grpc_method: "CheckAll",
};
const reflectionInfo = {
  grpc_type: "bidi_stream",
  grpc_service: "grpc.reflection.v1.ServerReflection",
  grpc_method: "ServerReflectionInfo",
};

const calls: {
  name: string;
  call: (clients: Clients) => Promise<unknown>;
  rpc: Rpc;
  code: string;
  received: number;
  sent: number;
}[] = [
  {
    name: "a unary call that succeeds",
    call: (c) => c.tasks.getTask({ id: "t-1" }),
    rpc: getTask,
    code: "OK",
    received: 1,
    sent: 1,
  },
  {
    name: "a unary call for a missing entity",
    call: (c) => c.tasks.getTask({ id: "t-404" }),
    rpc: getTask,
    code: "NotFound",
    received: 1,
    sent: 0,
  },
  {
    name: "a unary call with a bad argument",
    call: (c) => c.tasks.submitTask({}),
    rpc: submitTask,
    code: "InvalidArgument",
    received: 1,
    sent: 0,
  },
  {
    name: "a server stream that ends",
    call: (c) => drain(c.health.watch({ service: "ok" })),
    rpc: watch,
    code: "OK",
    received: 1,
    sent: 2,
  },
  {
    name: "a server stream that fails mid-way",
    call: (c) => drain(c.health.watch({ service: "fail" })),
    rpc: watch,
    code: "Unavailable",
    received: 1,
    sent: 1,
  },
  {
    name: "an aborted server stream whose handler ends quietly",
    call: (c) =>
      abortAfterFirstMessage((signal) => c.health.watch({ service: "ignore-abort" }, { signal })),
    rpc: watch,
    code: "Canceled",
    received: 1,
    sent: 1,
  },
  {
    name: "a server stream past its deadline",
    call: (c) => drain(c.health.watch({ service: "until-abort" }, { timeoutMs: 20 })),
    rpc: watch,
    code: "DeadlineExceeded",
    received: 1,
    sent: 1,
  },
  {
    name: "a client stream",
    call: (c) => c.batch.checkAll(from([{ service: "a" }, { service: "b" }, { service: "c" }])),
    rpc: checkAll,
    code: "OK",
    received: 3,
    sent: 1,
  },
  {
    name: "a bidi stream",
    call: (c) =>
      drain(c.reflection.serverReflectionInfo(from([{ host: "a" }, { host: "b" }, { host: "c" }]))),
    rpc: reflectionInfo,
    code: "OK",
    received: 3,
    sent: 3,
  },
  {
    name: "a bidi stream that fails mid-way",
    call: (c) =>
      drain(
        c.reflection.serverReflectionInfo(from([{ host: "a" }, { host: "fail" }, { host: "c" }])),
      ),
    rpc: reflectionInfo,
    code: "InvalidArgument",
    received: 2,
    sent: 1,
  },
];

describe("createMetricsInterceptor", () => {
  for (const protocol of ["connect", "grpc", "grpc-web"] as const) {
    describe(`over ${protocol}`, () => {
      for (const { name, call, rpc, code, received, sent } of calls) {
        it(`counts ${name} once, with the code the caller saw`, async () => {
          const { registry, clients } = createServer(protocol);
          const seen = await call(clients).then(
            () => "OK",
            (error: unknown) => grpcCodeName(ConnectError.from(error).code),
          );
          assert.equal(seen, code);
          assert.deepEqual(await readCallMetrics(registry, rpc, code), {
            started: 1,
            handled: 1,
            handlingCount: 1,
            received,
            sent,
            inFlight: 0,
          });
        });
      }
    });
  }

  it("counts a call in flight until it ends", async () => {
    const { registry, clients } = createServer("grpc");
    const inFlight = () => readSample(registry, "grpc_server_in_flight_requests", watch);
    const abort = new AbortController();
    const messages = clients.health.watch({ service: "ignore-abort" }, { signal: abort.signal });
    await assert.rejects(
      async () => {
        for await (const _ of messages) {
          assert.equal(await inFlight(), 1);
          abort.abort();
        }
      },
      { name: "ConnectError", code: Code.Canceled },
    );
    assert.equal(await inFlight(), 0);
  });

  it("adds up calls with the same labels", async () => {
    const { registry, clients } = createServer("connect");
    await clients.tasks.getTask({ id: "t-1" });
    await clients.tasks.getTask({ id: "t-1" });
    await assert.rejects(clients.tasks.getTask({ id: "t-404" }));
    assert.deepEqual(
      {
        started: await readSample(registry, "grpc_server_started_total", getTask),
        ok: await readSample(registry, "grpc_server_handled_total", {
          ...getTask,
          grpc_code: "OK",
        }),
        notFound: await readSample(registry, "grpc_server_handled_total", {
          ...getTask,
          grpc_code: "NotFound",
        }),
        handlingCount: await readSample(registry, "grpc_server_handling_seconds_count", getTask),
      },
      { started: 3, ok: 2, notFound: 1, handlingCount: 3 },
    );
  });
});
