import { type Task, TaskState } from "@sherpa/proto";
import { enumName } from "./enum-name.js";

/**
 * One phrase for where a task is: its state, its reason in parentheses and,
 * once known, its exit code ("FAILED (process exited) exit code 3").
 */
export function describeTaskState(task: Task): string {
  const reason = task.stateReason ? ` (${task.stateReason})` : "";
  const exitCode = task.exitCode === undefined ? "" : ` exit code ${task.exitCode}`;
  return `${enumName(TaskState, task.state)}${reason}${exitCode}`;
}
