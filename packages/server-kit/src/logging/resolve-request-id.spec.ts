import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveRequestId } from "./resolve-request-id.js";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("resolveRequestId", () => {
  const sane = ["req-42", "a", "0f8c.trace:span_1-2", "r".repeat(128)];
  for (const value of sane) {
    it(`keeps ${JSON.stringify(value.slice(0, 20))}`, () => {
      assert.equal(resolveRequestId(value), value);
    });
  }

  const insane: [string, string | undefined][] = [
    ["no header", undefined],
    ["an empty header", ""],
    ["129 characters", "r".repeat(129)],
    ["a space", "req 42"],
    ["a line break", "req\n{}"],
    ["a quote", 'req"42'],
    ["a slash", "req/42"],
    ["a non-ASCII letter", "réq"],
  ];
  for (const [name, value] of insane) {
    it(`replaces ${name} with a random UUID`, () => {
      assert.match(resolveRequestId(value), uuid);
    });
  }

  it("generates a different id each time", () => {
    assert.notEqual(resolveRequestId(undefined), resolveRequestId(undefined));
  });
});
