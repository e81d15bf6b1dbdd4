import { finishedTaskStates, type LogLine } from "../domain/records.js";
import type { TaskLogStore } from "../storage/task-log-store.js";
import type { TaskStore } from "../storage/task-store.js";
import type { TaskEventHub } from "./task-event-hub.js";

/** What following a task's log needs. */
export interface FollowTaskLogsDeps {
  tasks: TaskStore;
  logs: TaskLogStore;
  events: TaskEventHub;
}

/** Which lines to read. */
export interface FollowTaskLogsRequest {
  taskId: string;
  /** Offset of the first line. */
  offset: number;
  /** Keep reading new lines until the task has ended. */
  follow: boolean;
  /**
   * Ends the reading early with the signal's reason as its error (a passed
   * deadline, the caller gone, the server shutting down), so that a follow cut
   * short never looks like a log read to its end.
   */
  signal: AbortSignal;
}

const batchSize = 500;

/**
 * Reads a task's log from an offset in batches of lines; with `follow`, waits
 * for new lines while the task runs and ends once it has ended and every line
 * has been read. Throws the store's not-found error for an unknown task, and
 * the signal's reason once it aborts.
 */
export async function* followTaskLogs(
  deps: FollowTaskLogsDeps,
  request: FollowTaskLogsRequest,
): AsyncGenerator<LogLine[]> {
  let task = await deps.tasks.getTask(request.taskId);
  const wakeup = createWakeup();
  const unsubscribeLines = deps.events.subscribeLogLines(request.taskId, wakeup.notify);
  const unsubscribeTasks = deps.events.subscribeTasks((changed) => {
    if (changed.id === request.taskId) {
      wakeup.notify();
    }
  });
  try {
    let next = request.offset;
    for (;;) {
      request.signal.throwIfAborted();
      const lines = await deps.logs.readLines(request.taskId, next, batchSize);
      const last = lines.at(-1);
      if (last !== undefined) {
        next = last.offset + 1;
        yield lines;
        continue;
      }
      if (!request.follow || finishedTaskStates.includes(task.state)) {
        return;
      }
      await wakeup.wait(request.signal);
      task = await deps.tasks.getTask(request.taskId);
    }
  } finally {
    unsubscribeLines();
    unsubscribeTasks();
  }
}

/** A flag that a waiter can sleep on; a notify before the wait is not lost. */
function createWakeup() {
  let notified = false;
  let resolveWait: (() => void) | undefined;
  return {
    notify() {
      notified = true;
      resolveWait?.();
    },
    async wait(signal: AbortSignal) {
      if (!notified) {
        await new Promise<void>((resolve) => {
          const done = () => {
            signal.removeEventListener("abort", done);
            resolveWait = undefined;
            resolve();
          };
          resolveWait = done;
          signal.addEventListener("abort", done);
        });
      }
      notified = false;
    },
  };
}
