import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { DurationSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { formatAge, formatDuration, formatElapsed, formatTimestamp } from "./format-time.js";

describe("formatAge", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [999, "0s"],
    [45_000, "45s"],
    [60_000, "1m"],
    [59 * 60_000, "59m"],
    [3 * 3_600_000 + 1, "3h"],
    [50 * 3_600_000, "2d"],
    [-5_000, "0s"],
  ];
  for (const [ms, expected] of cases) {
    it(`shows ${ms}ms as ${expected}`, () => assert.equal(formatAge(ms), expected));
  }
});

describe("formatElapsed", () => {
  const cases: [number, string][] = [
    [3_400, "3s"],
    [65_000, "1m05s"],
    [3_723_000, "1h02m03s"],
  ];
  for (const [ms, expected] of cases) {
    it(`shows ${ms}ms as ${expected}`, () => assert.equal(formatElapsed(ms), expected));
  }
});

describe("formatDuration", () => {
  const cases: [bigint, number, string][] = [
    [30n, 0, "30s"],
    [300n, 0, "5m"],
    [5_400n, 0, "1h30m"],
    [3_605n, 0, "1h5s"],
    [1n, 500_000_000, "1.5s"],
    [0n, 0, "0s"],
  ];
  for (const [seconds, nanos, expected] of cases) {
    it(`shows ${seconds}s ${nanos}ns as ${expected}`, () => {
      assert.equal(formatDuration(create(DurationSchema, { seconds, nanos })), expected);
    });
  }
});

describe("formatTimestamp", () => {
  it("shows UTC to the second, and nothing when unset", () => {
    assert.equal(
      formatTimestamp(timestampFromMs(Date.parse("2024-05-01T12:00:00.789Z"))),
      "2024-05-01T12:00:00Z",
    );
    assert.equal(formatTimestamp(undefined), "");
  });
});
