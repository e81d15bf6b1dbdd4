import { TaskState } from "@sherpa/proto";

/** How a task ended. */
export interface TaskOutcome {
  /** SUCCEEDED, FAILED, CANCELLED or TIMED_OUT. */
  state: TaskState;
  /** The exit code, when the main process exited by itself. */
  exitCode?: number;
  /** The signal that ended the main process, if one did. */
  signal?: NodeJS.Signals;
  /** Why, for people: "exited with code 3", the cancellation reason, ... */
  reason: string;
}

/**
 * Turns the main process's exit into an outcome. `ending` is set when the agent
 * stopped the task itself (cancellation or timeout) and wins over the exit.
 */
export function describeExit(
  exit: { code: number | null; signal: NodeJS.Signals | null },
  ending: { state: TaskState; reason: string } | undefined,
  killedAfterGrace: boolean,
  graceMs: number,
): TaskOutcome {
  const outcome: TaskOutcome = { state: TaskState.FAILED, reason: "" };
  if (exit.code !== null) {
    outcome.exitCode = exit.code;
  }
  if (exit.signal !== null) {
    outcome.signal = exit.signal;
  }
  if (ending !== undefined) {
    outcome.state = ending.state;
    outcome.reason =
      ending.state === TaskState.TIMED_OUT && killedAfterGrace
        ? `${ending.reason}; killed by SIGKILL after the ${graceMs} ms grace period`
        : ending.reason;
  } else if (exit.code === 0) {
    outcome.state = TaskState.SUCCEEDED;
    outcome.reason = "exited with code 0";
  } else if (exit.code !== null) {
    outcome.reason = `exited with code ${exit.code}`;
  } else {
    outcome.reason = `killed by signal ${exit.signal}`;
  }
  return outcome;
}
