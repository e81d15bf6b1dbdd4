import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pollUntil, waitFor } from "./poll-until.js";

describe("pollUntil", () => {
  it("reads until done accepts a value, and resolves with that value", async () => {
    let reads = 0;
    const value = await pollUntil(
      async () => ++reads,
      (count) => count === 3,
      { what: "three reads", intervalMs: 1 },
    );
    assert.equal(value, 3);
    assert.equal(reads, 3);
  });

  it("takes a read that is not async", async () => {
    const state = { ready: false };
    setTimeout(() => {
      state.ready = true;
    }, 20);
    assert.deepEqual(
      await pollUntil(
        () => state,
        (read) => read.ready,
        { what: "ready", intervalMs: 1 },
      ),
      { ready: true },
    );
  });

  it("gives up after the timeout, naming what it waited for and the last value read", async () => {
    const started = Date.now();
    await assert.rejects(
      pollUntil(
        async () => ({ state: "RUNNING" }),
        (task) => task.state === "SUCCEEDED",
        { what: "task t-1 to end", timeoutMs: 50, intervalMs: 5 },
      ),
      /timed out after 50 ms waiting for task t-1 to end; last read: \{ state: 'RUNNING' \}/,
    );
    assert.ok(Date.now() - started >= 50, "gave up before the timeout");
  });
});

describe("waitFor", () => {
  it("resolves once the condition holds", async () => {
    let checks = 0;
    await waitFor("the third check", () => ++checks === 3, { intervalMs: 1 });
    assert.equal(checks, 3);
  });

  it("gives up after the timeout, naming what it waited for", async () => {
    await assert.rejects(
      waitFor("a heartbeat", () => false, { timeoutMs: 30 }),
      /timed out after 30 ms waiting for a heartbeat/,
    );
  });
});
