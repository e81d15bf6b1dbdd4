import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createReconnectBackoff } from "./reconnect-backoff.js";

describe("createReconnectBackoff", () => {
  const cases: { name: string; random: number; delays: number[] }[] = [
    { name: "most jitter", random: 0, delays: [125, 250, 500, 1000, 2000, 4000, 5000, 5000] },
    { name: "no jitter", random: 1, delays: [250, 500, 1000, 2000, 4000, 8000, 10000, 10000] },
  ];
  for (const { name, random, delays } of cases) {
    it(`doubles from 250 ms up to 10 s (${name})`, () => {
      const backoff = createReconnectBackoff({ random: () => random });
      assert.deepEqual(
        delays.map(() => backoff.nextDelayMs()),
        delays,
      );
    });
  }

  it("starts over after a reset", () => {
    const backoff = createReconnectBackoff({
      initialDelayMs: 100,
      maxDelayMs: 1000,
      random: () => 1,
    });
    backoff.nextDelayMs();
    backoff.nextDelayMs();
    backoff.reset();
    assert.equal(backoff.nextDelayMs(), 100);
  });
});
