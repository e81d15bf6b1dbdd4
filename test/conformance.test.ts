import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { repoRoot } from "./support/repo-paths.js";
import { requireTool } from "./support/require-tool.js";
import { run } from "./support/run.js";

/** The whole suite takes about 90 s on 2 cores; this leaves room for a slow machine. */
const suiteTimeoutMs = 10 * 60_000;

/** The runner's closing lines: "Total cases: N", "P passed, F failed", then optional notes. */
const totalPattern = /^Total cases: (\d+)$/m;
const resultPattern = /^(\d+) passed, (\d+) failed$/m;
const notRunPattern = /Another (\d+) could not be run/;
const expectedFailuresPattern = /Another (\d+) failed as expected/;

describe("Connect conformance suite (connectconformance v1.0.5, server mode)", () => {
  test("every case Sherpa's server stack claims in test/conformance/config.yaml passes", {
    timeout: suiteTimeoutMs + 10_000,
  }, async (t) => {
    const runner = await requireTool(t, "connectconformance");
    if (runner === undefined) {
      return;
    }
    const result = await run(
      runner,
      [
        "--mode",
        "server",
        "--conf",
        "test/conformance/config.yaml",
        "--known-flaky",
        "@test/conformance/known-flaky.txt",
        "--",
        process.execPath,
        "--import",
        "tsx",
        "test/conformance/server.ts",
      ],
      { cwd: repoRoot, timeoutMs: suiteTimeoutMs, maxBufferBytes: 64 * 1024 * 1024 },
    );
    const output = `${result.stdout}\n${result.stderr}`;
    const total = totalPattern.exec(output)?.[1];
    const [, passed, failed] = resultPattern.exec(output) ?? [];
    const notRun = notRunPattern.exec(output)?.[1] ?? "0";
    const knownFlakyFailed = expectedFailuresPattern.exec(output)?.[1] ?? "0";
    // One line a reader of the CI log can find: how much of the protocol was covered.
    console.log(
      `conformance: ${total ?? "?"} cases, ${passed ?? "?"} passed, ${failed ?? "?"} failed, ` +
        `${knownFlakyFailed} known-flaky failed as allowed, ${notRun} not run`,
    );
    assert.equal(result.exitCode, 0, output.slice(-20_000));
    assert.ok(Number(total) > 5000, `expected the full suite, got ${total} cases`);
    assert.equal(notRun, "0", output.slice(-20_000));
  });
});
