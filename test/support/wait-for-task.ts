import { pollUntil } from "@sherpa/kit/testing";
import { type Task, TaskState } from "@sherpa/proto";
import type { SherpaClient } from "@sherpa/sdk";

/** The states a task ends in. */
export const endedTaskStates: readonly TaskState[] = [
  TaskState.SUCCEEDED,
  TaskState.FAILED,
  TaskState.CANCELLED,
  TaskState.TIMED_OUT,
];

/** Whether the task has ended, one way or another. */
export function hasEnded(task: Task): boolean {
  return endedTaskStates.includes(task.state);
}

/**
 * Reads the task with GetTask until `done` accepts it and resolves with it;
 * rejects with its last state after `timeoutMs` (10 000 unless set).
 */
export function waitForTask(
  client: SherpaClient,
  id: string,
  done: (task: Task) => boolean,
  timeoutMs = 10_000,
): Promise<Task> {
  return pollUntil(
    async () => {
      const { task } = await client.tasks.getTask({ id });
      if (task === undefined) {
        throw new Error(`GetTask ${id} returned no task`);
      }
      return task;
    },
    done,
    { what: `task ${id}`, timeoutMs },
  );
}

/** Resolves with the task once it has ended; see {@link waitForTask}. */
export function waitForTaskEnd(client: SherpaClient, id: string, timeoutMs = 10_000) {
  return waitForTask(client, id, hasEnded, timeoutMs);
}
