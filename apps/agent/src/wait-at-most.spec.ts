import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { waitAtMost } from "./wait-at-most.js";

describe("waitAtMost", () => {
  const cases: { name: string; promise: () => Promise<unknown>; expected: boolean }[] = [
    { name: "a promise that fulfils in time", promise: () => Promise.resolve(1), expected: true },
    {
      name: "a promise that rejects in time",
      promise: () => Promise.reject(new Error("x")),
      expected: true,
    },
    { name: "a promise that never settles", promise: () => new Promise(() => {}), expected: false },
  ];
  for (const { name, promise, expected } of cases) {
    it(`says ${expected} for ${name}`, async () => {
      assert.equal(await waitAtMost(promise(), 20), expected);
    });
  }
});
