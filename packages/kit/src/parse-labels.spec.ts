import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { labelCountProblem, labelProblem, parseLabels, readLabelList } from "./parse-labels.js";

/** `k0=v,k1=v,...`: a list of `count` labels. */
function labelList(count: number): string {
  return Array.from({ length: count }, (_, i) => `k${i}=v`).join(",");
}

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
    [labelList(64), Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, "v"]))],
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
    [labelList(65), "has too many labels: at most 64 labels are allowed; got 65"],
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

describe("labelCountProblem", () => {
  it("allows 64 labels and names the limit beyond", () => {
    assert.equal(labelCountProblem(64), undefined);
    assert.equal(labelCountProblem(11_000), "at most 64 labels are allowed; got 11000");
  });
});
