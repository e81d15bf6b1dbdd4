import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../usage-error.js";
import { parseKeyValues } from "./parse-key-values.js";

describe("parseKeyValues", () => {
  const valid: [string[], Record<string, string>][] = [
    [[], {}],
    [["A=1"], { A: "1" }],
    [["A=1", "B=two"], { A: "1", B: "two" }],
    [["URL=http://x/?a=b"], { URL: "http://x/?a=b" }],
    [["EMPTY="], { EMPTY: "" }],
    [["A=1", "A=2"], { A: "2" }],
  ];
  for (const [entries, expected] of valid) {
    it(`reads ${JSON.stringify(entries)}`, () => {
      assert.deepEqual(parseKeyValues(entries, "--env"), expected);
    });
  }

  for (const entry of ["A", "=1", ""]) {
    it(`rejects "${entry}" naming the option`, () => {
      assert.throws(
        () => parseKeyValues([entry], "--label"),
        new UsageError(`--label must be KEY=VALUE, got "${entry}"`),
      );
    });
  }
});
