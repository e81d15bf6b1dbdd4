import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../usage-error.js";
import { parseLabelList } from "./parse-label-list.js";

describe("parseLabelList", () => {
  const valid: [string[], Record<string, string>][] = [
    [[], {}],
    [["zone=eu,gpu=h100"], { zone: "eu", gpu: "h100" }],
    [["zone=eu", "gpu=h100"], { zone: "eu", gpu: "h100" }],
    [["note=a=b"], { note: "a=b" }],
  ];
  for (const [values, labels] of valid) {
    it(`reads ${JSON.stringify(values)}`, () => {
      assert.deepEqual(parseLabelList(values, "--labels"), labels);
    });
  }

  const invalid: [string[], string][] = [
    [["a=1,b"], '--labels must be KEY=VALUE, got "b"'],
    [["a=1", "a=2"], '--labels gives the label key "a" twice'],
    [
      ["my zone=eu"],
      `--labels has a label "my zone=eu" that is not allowed: label keys are 1 to 63 letters, digits, '.', '_', '-' or '/', starting with a letter or digit`,
    ],
  ];
  for (const [values, message] of invalid) {
    it(`refuses ${JSON.stringify(values)} as a usage error`, () => {
      assert.throws(() => parseLabelList(values, "--labels"), new UsageError(message));
    });
  }
});
