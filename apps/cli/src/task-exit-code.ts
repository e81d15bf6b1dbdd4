import { type Task, TaskState } from "@sherpa/proto";

const endedStates: ReadonlySet<TaskState> = new Set([
  TaskState.SUCCEEDED,
  TaskState.FAILED,
  TaskState.CANCELLED,
  TaskState.TIMED_OUT,
]);

/** Whether a task has ended: succeeded, failed, cancelled or timed out. */
export function isTaskEnded(task: Task): boolean {
  return endedStates.has(task.state);
}

/**
 * The exit status the CLI passes on for an ended task, so that scripts can
 * treat `sherpa tasks submit --follow` like running the command itself: 0 when
 * it succeeded, the command's own exit code when it failed with one (1 to 255),
 * and 1 for everything else (cancelled, timed out, lost with its node).
 */
export function taskExitCode(task: Task): number {
  if (task.state === TaskState.SUCCEEDED) {
    return 0;
  }
  const code = task.exitCode;
  if (task.state === TaskState.FAILED && code !== undefined && code >= 1 && code <= 255) {
    return code;
  }
  return 1;
}
