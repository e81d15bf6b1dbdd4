import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { QueueService, TaskService } from "@sherpa/proto";
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@sherpa/proto/grpc/health/v1/health_pb.js";
import { createHealthService } from "./health-service.js";
import { createHealthStatus, type HealthStatus } from "./health-status.js";

function setup() {
  const status = createHealthStatus([TaskService.typeName, QueueService.typeName]);
  const transport = createRouterTransport(({ service }) => {
    service(Health, createHealthService(status));
  });
  return { status, client: createClient(Health, transport) };
}

function hasCode(code: Code) {
  return (error: unknown) => error instanceof ConnectError && error.code === code;
}

/** Resolves to "pending" when the promise has not settled after a short wait. */
function settledSoon(promise: Promise<unknown>): Promise<unknown> {
  return Promise.race([promise, delay(50, "pending")]);
}

describe("Health.Check", () => {
  const cases: {
    name: string;
    service: string;
    prepare(status: HealthStatus): void;
    want: ServingStatus;
  }[] = [
    {
      name: "whole server before ready",
      service: "",
      prepare() {},
      want: ServingStatus.NOT_SERVING,
    },
    {
      name: "whole server once ready",
      service: "",
      prepare: (status) => status.setAll(ServingStatus.SERVING),
      want: ServingStatus.SERVING,
    },
    {
      name: "a Sherpa service once ready",
      service: TaskService.typeName,
      prepare: (status) => status.setAll(ServingStatus.SERVING),
      want: ServingStatus.SERVING,
    },
    {
      name: "a service set apart from the rest",
      service: QueueService.typeName,
      prepare(status) {
        status.setAll(ServingStatus.SERVING);
        status.set(QueueService.typeName, ServingStatus.NOT_SERVING);
      },
      want: ServingStatus.NOT_SERVING,
    },
  ];
  for (const { name, service, prepare, want } of cases) {
    it(name, async () => {
      const { status, client } = setup();
      prepare(status);
      const response = await client.check({ service });
      assert.equal(response.status, want);
    });
  }

  it("answers NotFound for an unknown service", async () => {
    const { client } = setup();
    await assert.rejects(
      client.check({ service: "sherpa.v1.NoSuchService" }),
      (error: unknown) =>
        hasCode(Code.NotFound)(error) &&
        (error as ConnectError).rawMessage.includes('"sherpa.v1.NoSuchService"'),
    );
  });
});

describe("Health.Watch", () => {
  it("sends the current status, then each change", async () => {
    const { status, client } = setup();
    const abort = new AbortController();
    const stream = client
      .watch({ service: TaskService.typeName }, { signal: abort.signal })
      [Symbol.asyncIterator]();
    assert.equal((await stream.next()).value?.status, ServingStatus.NOT_SERVING);
    status.set(TaskService.typeName, ServingStatus.SERVING);
    assert.equal((await stream.next()).value?.status, ServingStatus.SERVING);
    abort.abort();
    await assert.rejects(stream.next(), hasCode(Code.Canceled));
  });

  it("sends SERVICE_UNKNOWN for an unknown service and stays open until the client aborts", async () => {
    const { client } = setup();
    const abort = new AbortController();
    const stream = client
      .watch({ service: "sherpa.v1.NoSuchService" }, { signal: abort.signal })
      [Symbol.asyncIterator]();
    assert.equal((await stream.next()).value?.status, ServingStatus.SERVICE_UNKNOWN);
    const next = stream.next();
    assert.equal(await settledSoon(next), "pending");
    abort.abort();
    await assert.rejects(next, hasCode(Code.Canceled));
  });

  it("ends with Unavailable when the statuses are closed at shutdown", async () => {
    const { status, client } = setup();
    const stream = client.watch({ service: "" })[Symbol.asyncIterator]();
    assert.equal((await stream.next()).value?.status, ServingStatus.NOT_SERVING);
    const next = stream.next();
    status.close();
    await assert.rejects(
      next,
      (error: unknown) =>
        hasCode(Code.Unavailable)(error) &&
        (error as ConnectError).rawMessage === "server is shutting down",
    );
  });

  it("ends a watch started after close with Unavailable", async () => {
    const { status, client } = setup();
    status.close();
    const stream = client.watch({ service: "" })[Symbol.asyncIterator]();
    await assert.rejects(stream.next(), hasCode(Code.Unavailable));
  });
});

describe("Health.List", () => {
  it("lists the whole server and every service", async () => {
    const { status, client } = setup();
    status.setAll(ServingStatus.SERVING);
    status.set(QueueService.typeName, ServingStatus.NOT_SERVING);
    const response = await client.list({});
    const statuses = Object.fromEntries(
      Object.entries(response.statuses).map(([service, { status }]) => [service, status]),
    );
    assert.deepEqual(statuses, {
      "": ServingStatus.SERVING,
      [TaskService.typeName]: ServingStatus.SERVING,
      [QueueService.typeName]: ServingStatus.NOT_SERVING,
    });
  });
});
