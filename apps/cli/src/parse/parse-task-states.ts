import { TaskState } from "@sherpa/proto";
import { UsageError } from "../usage-error.js";

/** Task states by the names users type; "canceled" is accepted as well. */
const statesByName: ReadonlyMap<string, TaskState> = new Map([
  ["pending", TaskState.PENDING],
  ["running", TaskState.RUNNING],
  ["succeeded", TaskState.SUCCEEDED],
  ["failed", TaskState.FAILED],
  ["cancelled", TaskState.CANCELLED],
  ["canceled", TaskState.CANCELLED],
  ["timed_out", TaskState.TIMED_OUT],
]);

/**
 * Parses `--state` values, each a comma-separated list of state names
 * ("pending,running"), case-insensitive, with "-" or "_" in "timed-out".
 * Returns each state once, in the order first named. Throws a UsageError
 * listing the valid names for an unknown one.
 */
export function parseTaskStates(values: readonly string[]): TaskState[] {
  const states = new Set<TaskState>();
  for (const name of values.flatMap((value) => value.split(","))) {
    const normalised = name.trim().toLowerCase().replaceAll("-", "_");
    const state = statesByName.get(normalised);
    if (state === undefined) {
      throw new UsageError(
        `unknown task state "${name}"; use pending, running, succeeded, failed, cancelled or timed_out`,
      );
    }
    states.add(state);
  }
  return [...states];
}
