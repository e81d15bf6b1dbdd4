import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../usage-error.js";
import { parseInteger } from "./parse-integer.js";

describe("parseInteger", () => {
  it("reads decimal integers within the range", () => {
    assert.equal(parseInteger("0", "--gpus", { min: 0 }), 0);
    assert.equal(parseInteger("8", "--gpus", { min: 0 }), 8);
    assert.equal(parseInteger("-5", "--priority", { min: -10 }), -5);
  });

  for (const text of ["", "1.5", "1e3", "two", "-1", "2147483648"]) {
    it(`rejects "${text}"`, () => {
      assert.throws(
        () => parseInteger(text, "--gpus", { min: 0 }),
        new UsageError(`--gpus must be an integer from 0 to 2147483647, got "${text}"`),
      );
    });
  }
});
