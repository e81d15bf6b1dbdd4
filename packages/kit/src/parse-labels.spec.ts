import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { labelProblem, parseLabels, readLabelList } from "./parse-labels.js";

describe("readLabelList", () => {
  const valid: [string, Record<string, string>][] = [
    ["", {}],
    [" , ", {}],
    ["gpu=h100", { gpu: "h100" }],
    ["gpu=h100, zone=eu-1", { gpu: "h100", zone: "eu-1" }],
    [" gpu = h100 ,", { gpu: "h100" }],
    ["note=a=b", { note: "a=b" }],
    ["empty=", { empty: "" }],
    ["sherpa.dev/pool=a,x_y-z.1=b", { "sherpa.dev/pool": "a", "x_y-z.1": "b" }],
    ["trailing-=1", { "trailing-": "1" }],
    [`${"k".repeat(63)}=v`, { ["k".repeat(63)]: "v" }],
    [`k=${"v".repeat(256)}`, { k: "v".repeat(256) }],
    ["constructor=x", { constructor: "x" }],
  ];
  for (const [text, labels] of valid) {
    it(`reads "${text.length > 40 ? `${text.slice(0, 40)}...` : text}"`, () => {
      assert.deepEqual(readLabelList(text), { labels });
      assert.deepEqual(parseLabels(text), labels);
    });
  }

  const invalid: [string, string][] = [
    ["gpu", 'must be KEY=VALUE, got "gpu"'],
    ["=x", 'must be KEY=VALUE, got "=x"'],
    ["gpu=a,zone", 'must be KEY=VALUE, got "zone"'],
    ["gpu=a,gpu=b", 'gives the label key "gpu" twice'],
    ["my key=x", 'has a label "my key=x" that is not allowed: label keys are'],
    ["-gpu=x", 'has a label "-gpu=x" that is not allowed: label keys are'],
    [`${"k".repeat(64)}=v`, "label keys are 1 to 63"],
    [`k=${"v".repeat(257)}`, "label values are at most 256 characters"],
  ];
  for (const [text, problem] of invalid) {
    it(`refuses "${text.length > 40 ? `${text.slice(0, 40)}...` : text}", saying why`, () => {
      const list = readLabelList(text);
      assert.ok("problem" in list, `accepted: ${JSON.stringify(list)}`);
      assert.ok(list.problem.includes(problem), `"${list.problem}" does not say "${problem}"`);
      assert.equal(parseLabels(text), undefined);
    });
  }
});

describe("labelProblem", () => {
  it("accepts what the list parser accepts, and names what is wrong otherwise", () => {
    assert.equal(labelProblem("gpu", "h100"), undefined);
    assert.match(labelProblem("gpu!", "h100") ?? "", /label keys are/);
    assert.match(labelProblem("gpu", "x".repeat(257)) ?? "", /label values are at most 256/);
  });
});
