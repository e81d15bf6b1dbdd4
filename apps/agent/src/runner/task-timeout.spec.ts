import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startTaskTimeout } from "./task-timeout.js";

describe("startTaskTimeout", () => {
  const cases: { timeout: { seconds: bigint; nanos: number }; reason: string }[] = [
    { timeout: { seconds: 0n, nanos: 30_000_000 }, reason: "timed out after 30 ms" },
    { timeout: { seconds: 1n, nanos: 500_000_000 }, reason: "timed out after 1.5 s" },
  ];
  for (const { timeout, reason } of cases) {
    it(`says "${reason}"`, async () => {
      const fired = await new Promise<string>((resolve) => startTaskTimeout(timeout, resolve));
      assert.equal(fired, reason);
    });
  }

  it("never fires for an unset or zero timeout, or once cleared", async () => {
    const fired: string[] = [];
    startTaskTimeout(undefined, (reason) => fired.push(reason));
    startTaskTimeout({ seconds: 0n, nanos: 0 }, (reason) => fired.push(reason));
    startTaskTimeout({ seconds: 0n, nanos: 10_000_000 }, (reason) => fired.push(reason))();
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.deepEqual(fired, []);
  });

  it("does not fire at once for a timeout longer than setTimeout can hold", async () => {
    const fired: string[] = [];
    const clear = startTaskTimeout({ seconds: 30n * 24n * 3600n, nanos: 0 }, (reason) =>
      fired.push(reason),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    clear();
    assert.deepEqual(fired, []);
  });
});
