import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TaskState } from "@sherpa/proto";
import { UsageError } from "../usage-error.js";
import { parseTaskStates } from "./parse-task-states.js";

describe("parseTaskStates", () => {
  const valid: [string[], TaskState[]][] = [
    [[], []],
    [["pending"], [TaskState.PENDING]],
    [["pending,running"], [TaskState.PENDING, TaskState.RUNNING]],
    [
      ["FAILED", "timed-out"],
      [TaskState.FAILED, TaskState.TIMED_OUT],
    ],
    [["timed_out,succeeded"], [TaskState.TIMED_OUT, TaskState.SUCCEEDED]],
    [["canceled,cancelled"], [TaskState.CANCELLED]],
    [["running, pending"], [TaskState.RUNNING, TaskState.PENDING]],
  ];
  for (const [values, expected] of valid) {
    it(`reads ${JSON.stringify(values)}`, () => {
      assert.deepEqual(parseTaskStates(values), expected);
    });
  }

  it("rejects an unknown state, listing the valid ones", () => {
    assert.throws(
      () => parseTaskStates(["pending,done"]),
      new UsageError(
        'unknown task state "done"; use pending, running, succeeded, failed, cancelled or timed_out',
      ),
    );
  });
});
