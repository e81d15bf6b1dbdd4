import { setTimeout as sleep } from "node:timers/promises";
import type { Task } from "@sherpa/proto";
import type { CommandContext } from "../command.js";
import { isTaskEnded } from "../task-exit-code.js";
import { fetchTask } from "./fetch-task.js";
import { createWaitProgress } from "./wait-progress.js";

/** Pause before watching again when a watch ended while the task still runs. */
const rewatchDelayMs = 1_000;

/**
 * Waits until a task has ended, watching its state changes with WatchTasks and
 * showing them on stderr, and resolves to the ended task. A watch the server
 * ends early (a restart, a deadline cap) is started again.
 */
export async function waitForTask(context: CommandContext, id: string): Promise<Task> {
  const { client, signal, io, now } = context;
  const progress = createWaitProgress(io, now);
  try {
    for (;;) {
      const ended = await watchUntilEnded(context, id, progress.update);
      if (ended !== undefined) {
        return ended;
      }
      const task = await fetchTask(client, id, signal);
      progress.update(task);
      if (isTaskEnded(task)) {
        return task;
      }
      await sleep(rewatchDelayMs, undefined, { signal });
    }
  } finally {
    progress.stop();
  }
}

async function watchUntilEnded(
  { client, signal }: CommandContext,
  id: string,
  onChange: (task: Task) => void,
): Promise<Task | undefined> {
  // Ends the server stream as soon as the task has ended, rather than leaving it open.
  const stopWatching = new AbortController();
  try {
    const events = client.tasks.watchTasks(
      { taskIds: [id], includeCurrent: true },
      { signal: AbortSignal.any([signal, stopWatching.signal]), timeoutMs: 0 },
    );
    for await (const { task } of events) {
      if (task !== undefined) {
        onChange(task);
        if (isTaskEnded(task)) {
          return task;
        }
      }
    }
    return undefined;
  } finally {
    stopWatching.abort();
  }
}
