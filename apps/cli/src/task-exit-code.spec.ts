import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { TaskSchema, TaskState } from "@sherpa/proto";
import { isTaskEnded, taskExitCode } from "./task-exit-code.js";

describe("taskExitCode", () => {
  const cases: [string, TaskState, number | undefined, number][] = [
    ["succeeded", TaskState.SUCCEEDED, 0, 0],
    ["failed with its exit code", TaskState.FAILED, 3, 3],
    ["failed with exit code 255", TaskState.FAILED, 255, 255],
    ["failed without an exit code (node lost)", TaskState.FAILED, undefined, 1],
    ["failed with an exit code out of range", TaskState.FAILED, 300, 1],
    ["failed with a negative exit code", TaskState.FAILED, -1, 1],
    ["cancelled", TaskState.CANCELLED, undefined, 1],
    ["cancelled with the exit code of the killed process", TaskState.CANCELLED, 143, 1],
    ["timed out", TaskState.TIMED_OUT, undefined, 1],
  ];
  for (const [label, state, exitCode, expected] of cases) {
    it(`is ${expected} for a task ${label}`, () => {
      assert.equal(taskExitCode(create(TaskSchema, { state, exitCode })), expected);
    });
  }
});

describe("isTaskEnded", () => {
  const cases: [TaskState, boolean][] = [
    [TaskState.PENDING, false],
    [TaskState.RUNNING, false],
    [TaskState.SUCCEEDED, true],
    [TaskState.FAILED, true],
    [TaskState.CANCELLED, true],
    [TaskState.TIMED_OUT, true],
  ];
  for (const [state, ended] of cases) {
    it(`is ${ended} for ${TaskState[state]}`, () => {
      assert.equal(isTaskEnded(create(TaskSchema, { state })), ended);
    });
  }
});
