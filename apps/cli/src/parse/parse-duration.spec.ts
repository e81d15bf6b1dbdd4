import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../usage-error.js";
import { parseDuration } from "./parse-duration.js";

describe("parseDuration", () => {
  const valid: [string, bigint, number][] = [
    ["30s", 30n, 0],
    ["5m", 300n, 0],
    ["1h", 3_600n, 0],
    ["1h30m", 5_400n, 0],
    ["2m15s", 135n, 0],
    ["1.5s", 1n, 500_000_000],
    ["1.5h", 5_400n, 0],
    ["250ms", 0n, 250_000_000],
    ["30d", 2_592_000n, 0],
    ["1d12h", 129_600n, 0],
  ];
  for (const [text, seconds, nanos] of valid) {
    it(`reads "${text}" as ${seconds}s ${nanos}ns`, () => {
      const duration = parseDuration(text, "--timeout");
      assert.deepEqual([duration.seconds, duration.nanos], [seconds, nanos]);
    });
  }

  const invalid: [string, RegExp][] = [
    ["", /--timeout must be a duration such as 30s, 5m, 1h, 1h30m or 30d, got ""/],
    ["30", /must be a duration/],
    ["5x", /must be a duration/],
    ["-1s", /must be a duration/],
    ["1h 30m", /must be a duration/],
    ["0s", /--timeout must be longer than zero, got "0s"/],
  ];
  for (const [text, message] of invalid) {
    it(`rejects "${text}" as a usage error`, () => {
      assert.throws(
        () => parseDuration(text, "--timeout"),
        (error) => error instanceof UsageError && message.test(error.message),
      );
    });
  }
});
