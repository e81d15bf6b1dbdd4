import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type CallOptions,
  Code,
  ConnectError,
  createClient,
  type Interceptor,
} from "@connectrpc/connect";
import { TaskService } from "@sherpa/proto";
import { Health } from "@sherpa/proto/grpc/health/v1/health_pb.js";
import { createInMemoryTransport } from "../metrics/testing/create-in-memory-transport.js";
import { testRoutes } from "../metrics/testing/test-routes.js";
import type { ProtocolName } from "./protocol-name.js";
import { peerAddressKey, requestIdKey } from "./rpc-context-keys.js";
import { createRpcLoggingInterceptor } from "./rpc-logging-interceptor.js";

interface LogLine {
  level: "info" | "warn" | "error";
  fields: Record<string, unknown>;
  message: string;
}

interface ServerOptions {
  protocol?: ProtocolName;
  /** What the server's contextValues(req) resolved, if anything. */
  requestId?: string;
  /** Sees the request after the logging interceptor, as a handler would. */
  inner?: Interceptor;
}

const peer = "203.0.113.7:51234";
const handlingMs = 42;

function createServer({ protocol = "connect", requestId, inner }: ServerOptions = {}) {
  const lines: LogLine[] = [];
  const logTo =
    (level: LogLine["level"]) =>
    (fields: object, message: string): void => {
      lines.push({ level, fields: { ...fields }, message });
    };
  let time = 1000;
  // Stands in for the server's contextValues(req), which Fastify feeds.
  const serverContext: Interceptor = (next) => (req) => {
    req.contextValues.set(peerAddressKey, peer);
    if (requestId !== undefined) {
      req.contextValues.set(requestIdKey, requestId);
    }
    return next(req);
  };
  const slowHandler: Interceptor = (next) => (req) => {
    time += handlingMs;
    return next(req);
  };
  const transport = createInMemoryTransport(testRoutes, {
    protocol,
    interceptors: [
      serverContext,
      createRpcLoggingInterceptor({
        logger: { info: logTo("info"), warn: logTo("warn"), error: logTo("error") },
        now: () => time,
      }),
      slowHandler,
      ...(inner ? [inner] : []),
    ],
  });
  return {
    lines,
    tasks: createClient(TaskService, transport),
    health: createClient(Health, transport),
  };
}

/** Calls with the given request headers; returns the response headers and the error, if any. */
async function callWith(
  headers: Record<string, string>,
  call: (options: CallOptions) => Promise<unknown>,
): Promise<{ header: Headers; error: ConnectError | undefined }> {
  const header = new Headers();
  const onHeader = (received: Headers) => {
    for (const [key, value] of received) {
      header.set(key, value);
    }
  };
  const error = await call({ headers, onHeader }).then(
    () => undefined,
    (reason: unknown) => ConnectError.from(reason),
  );
  return { header, error };
}

async function drain(messages: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of messages);
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const headers = { "x-request-id": "req-42", "user-agent": "sherpa-cli/1.0" };
const getTask = "sherpa.v1.TaskService/GetTask";
const watch = "grpc.health.v1.Health/Watch";

type Clients = ReturnType<typeof createServer>;

const outcomes: {
  name: string;
  call: (clients: Clients, options: CallOptions) => Promise<unknown>;
  level: LogLine["level"];
  fields: Record<string, unknown>;
  callerCode?: Code;
}[] = [
  {
    name: "a unary call that succeeds",
    call: (c, options) => c.tasks.getTask({ id: "t-1" }, options),
    level: "info",
    fields: { rpc: getTask, code: "OK" },
  },
  {
    name: "a unary call for a missing entity",
    call: (c, options) => c.tasks.getTask({ id: "t-404" }, options),
    level: "info",
    fields: { rpc: getTask, code: "NotFound", errorMessage: "task t-404 not found" },
    callerCode: Code.NotFound,
  },
  {
    name: "a unary call with a bad argument",
    call: (c, options) => c.tasks.submitTask({}, options),
    level: "info",
    fields: {
      rpc: "sherpa.v1.TaskService/SubmitTask",
      code: "InvalidArgument",
      errorMessage: "argv must not be empty",
    },
    callerCode: Code.InvalidArgument,
  },
  {
    name: "a unary call whose handler crashes",
    call: (c, options) => c.tasks.getTask({ id: "crash" }, options),
    level: "error",
    fields: { rpc: getTask, code: "Unknown", err: new Error("disk on fire") },
    callerCode: Code.Internal,
  },
  {
    name: "a server stream that ends",
    call: (c, options) => drain(c.health.watch({ service: "ok" }, options)),
    level: "info",
    fields: { rpc: watch, code: "OK" },
  },
  {
    name: "a server stream that fails mid-way",
    call: (c, options) => drain(c.health.watch({ service: "fail" }, options)),
    level: "info",
    fields: { rpc: watch, code: "Unavailable", errorMessage: "health source went away" },
    callerCode: Code.Unavailable,
  },
];

describe("createRpcLoggingInterceptor", () => {
  for (const protocol of ["connect", "grpc", "grpc-web"] as const) {
    describe(`over ${protocol}`, () => {
      for (const { name, call, level, fields, callerCode } of outcomes) {
        it(`logs ${name} in one line and echoes the request id`, async () => {
          const server = createServer({ protocol });
          const { header, error } = await callWith(headers, (options) => call(server, options));
          assert.equal(error?.code, callerCode);
          assert.deepEqual(server.lines, [
            {
              level,
              message: level === "error" ? "rpc failed" : "rpc finished",
              fields: {
                ...fields,
                durationMs: handlingMs,
                protocol,
                peer,
                requestId: "req-42",
                userAgent: "sherpa-cli/1.0",
              },
            },
          ]);
          assert.equal((error?.metadata ?? header).get("x-request-id"), "req-42");
        });
      }
    });
  }

  it("logs a call the client aborts once, as Canceled", async () => {
    const server = createServer();
    const abort = new AbortController();
    const messages = server.health.watch({ service: "ignore-abort" }, { signal: abort.signal });
    await assert.rejects(
      async () => {
        for await (const _ of messages) {
          abort.abort();
        }
      },
      { name: "ConnectError", code: Code.Canceled },
    );
    assert.deepEqual(
      server.lines.map(({ level, fields }) => ({ level, rpc: fields.rpc, code: fields.code })),
      [{ level: "info", rpc: watch, code: "Canceled" }],
    );
  });

  const badRequestIds: [string, Record<string, string>][] = [
    ["no x-request-id", {}],
    ["an empty one", { "x-request-id": "" }],
    ["one with spaces", { "x-request-id": "req 42" }],
    ["one with a quote", { "x-request-id": 'req"42' }],
    ["one of 129 characters", { "x-request-id": "r".repeat(129) }],
  ];
  for (const [name, requestHeaders] of badRequestIds) {
    it(`generates a request id for ${name}`, async () => {
      const server = createServer();
      const { header } = await callWith(requestHeaders, (options) =>
        server.tasks.getTask({ id: "t-1" }, options),
      );
      const echoed = header.get("x-request-id") ?? "";
      assert.match(echoed, uuid);
      assert.equal(server.lines[0]?.fields.requestId, echoed);
    });
  }

  it("prefers the request id the server resolved", async () => {
    const server = createServer({ requestId: "from-fastify" });
    const { header } = await callWith(headers, (options) =>
      server.tasks.getTask({ id: "t-1" }, options),
    );
    assert.equal(header.get("x-request-id"), "from-fastify");
    assert.equal(server.lines[0]?.fields.requestId, "from-fastify");
  });

  it("shares the request id with handlers through requestIdKey", async () => {
    let seen: string | undefined;
    const server = createServer({
      inner: (next) => (req) => {
        seen = req.contextValues.get(requestIdKey);
        return next(req);
      },
    });
    await callWith(headers, (options) => server.tasks.getTask({ id: "t-1" }, options));
    assert.equal(seen, "req-42");
  });

  it("keeps the x-user-agent that gRPC-Web clients in browsers send beside user-agent", async () => {
    const server = createServer();
    await callWith({ "user-agent": "Mozilla/5.0", "x-user-agent": "connect-es/2.2.0" }, (options) =>
      server.tasks.getTask({ id: "t-1" }, options),
    );
    assert.equal(server.lines[0]?.fields.userAgent, "Mozilla/5.0 connect-es/2.2.0");
  });
});
