import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { describe, it } from "node:test";
import { HealthCheckResponse_ServingStatus as ServingStatus } from "@sherpa/proto/grpc/health/v1/health_pb.js";
import { createHealthStatus } from "./health-status.js";

const service = "sherpa.v1.TaskService";

/** Whether `promise` is still pending once everything already queued has run. */
async function isPending(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  const settle = () => {
    settled = true;
  };
  promise.then(settle, settle);
  await new Promise((resolve) => setImmediate(resolve));
  return !settled;
}

describe("createHealthStatus", () => {
  it("starts NOT_SERVING and knows only the whole server and the named services", () => {
    const status = createHealthStatus([service]);
    assert.equal(status.get(""), ServingStatus.NOT_SERVING);
    assert.equal(status.get(service), ServingStatus.NOT_SERVING);
    assert.equal(status.get("sherpa.v1.NoSuchService"), undefined);
  });

  it("refuses to set an unknown service", () => {
    const status = createHealthStatus([service]);
    assert.throws(
      () => status.set("sherpa.v1.TaskServce", ServingStatus.SERVING),
      /unknown service "sherpa.v1.TaskServce"/,
    );
  });

  it("gives a slow watcher the latest status, not every intermediate one", async () => {
    const status = createHealthStatus([service]);
    const abort = new AbortController();
    const watch = status.watch(service, abort.signal)[Symbol.asyncIterator]();
    assert.equal((await watch.next()).value, ServingStatus.NOT_SERVING);
    // Three changes while the watcher is busy elsewhere: a buffering watch would
    // owe it SERVING, NOT_SERVING and SERVING; a coalescing one owes only SERVING.
    status.set(service, ServingStatus.SERVING);
    status.set(service, ServingStatus.NOT_SERVING);
    status.set(service, ServingStatus.SERVING);
    assert.deepEqual(await watch.next(), { value: ServingStatus.SERVING, done: false });
    const next = watch.next();
    assert.equal(await isPending(next), true, "the watcher was given a stale intermediate status");
    status.set(service, ServingStatus.NOT_SERVING);
    assert.deepEqual(await next, { value: ServingStatus.NOT_SERVING, done: false });
    abort.abort();
    assert.equal((await watch.next()).done, true);
  });

  const endings = [
    { name: "the signal aborts", end: (abort: AbortController) => abort.abort() },
    {
      name: "close() is called",
      end: (_abort: AbortController, status: ReturnType<typeof createHealthStatus>) =>
        status.close(),
    },
  ];
  for (const { name, end } of endings) {
    it(`ends a watch and releases its listener when ${name}`, async () => {
      const status = createHealthStatus([service]);
      const abort = new AbortController();
      const watch = status.watch(service, abort.signal)[Symbol.asyncIterator]();
      assert.equal((await watch.next()).value, ServingStatus.NOT_SERVING);
      const next = watch.next();
      assert.equal(getEventListeners(abort.signal, "abort").length, 1);
      end(abort, status);
      assert.equal((await next).done, true);
      assert.equal(getEventListeners(abort.signal, "abort").length, 0);
    });
  }
});
