import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRateLimiter } from "./rate-limiter.js";

function limiterAt(startMs: number, ratePerSecond: number, burst: number) {
  let nowMs = startMs;
  const limiter = createRateLimiter({ ratePerSecond, burst, now: () => nowMs });
  return { limiter, advance: (ms: number) => (nowMs += ms) };
}

describe("createRateLimiter", () => {
  it("allows a burst, then says how long until the next token", () => {
    const { limiter } = limiterAt(0, 2, 3);
    assert.deepEqual(
      [1, 2, 3].map(() => limiter.take("alice")),
      [0, 0, 0],
    );
    assert.equal(limiter.take("alice"), 500);
  });

  it("refills at the configured rate, never above the burst", () => {
    const { limiter, advance } = limiterAt(0, 2, 3);
    for (let i = 0; i < 3; i++) {
      limiter.take("alice");
    }
    advance(500);
    assert.equal(limiter.take("alice"), 0);
    assert.equal(limiter.take("alice"), 500);
    advance(60_000);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => limiter.take("alice")),
      [0, 0, 0, 500],
    );
  });

  it("keeps one bucket per key", () => {
    const { limiter } = limiterAt(0, 1, 1);
    assert.equal(limiter.take("alice"), 0);
    assert.equal(limiter.take("bob"), 0);
    assert.equal(limiter.take("alice"), 1000);
  });

  it("peeks without taking", () => {
    const { limiter } = limiterAt(0, 1, 1);
    assert.equal(limiter.peek("alice"), 0);
    assert.equal(limiter.peek("alice"), 0);
    limiter.take("alice");
    assert.equal(limiter.peek("alice"), 1000);
  });

  it("forgets full buckets when it holds too many keys, and they start full again", () => {
    let nowMs = 0;
    const limiter = createRateLimiter({
      ratePerSecond: 1,
      burst: 2,
      now: () => nowMs,
      maxKeys: 10,
    });
    for (let i = 0; i < 20; i++) {
      limiter.take(`peer-${i}`);
    }
    nowMs += 10_000;
    assert.equal(limiter.take("peer-0"), 0);
    assert.equal(limiter.take("peer-0"), 0);
    assert.equal(limiter.take("peer-0"), 1000);
  });
});
