import { createAsyncQueue } from "@sherpa/kit";
import { finishedTaskStates, type Task, type TaskState } from "../domain/records.js";
import { decodePageToken } from "../storage/pagination.js";
import type { TaskStore } from "../storage/task-store.js";
import type { TaskEventHub } from "./task-event-hub.js";

/** What watching tasks needs. */
export interface WatchTaskEventsDeps {
  tasks: TaskStore;
  events: TaskEventHub;
}

/** Which events to send. */
export interface WatchTaskEventsRequest {
  /** Only tasks of this queue; empty for all. */
  queue: string;
  /** Only these tasks; empty for all. */
  taskIds: string[];
  /** Only events into these states; empty for all. */
  states: TaskState[];
  /** Only tasks of these queues (the watcher's queue grants); undefined for any. */
  visibleQueues: readonly string[] | undefined;
  /** Start with the current state of the matching tasks. */
  includeCurrent: boolean;
  /**
   * Ends the watch with the signal's reason as its error (a passed deadline,
   * the caller gone, the server shutting down), not as a watch that ended by itself.
   */
  signal: AbortSignal;
  /** Most events held for a slow reader before the watch ends with `onOverflow()`. */
  bufferLimit: number;
  /** The error the watch ends with when the reader falls too far behind. */
  onOverflow: () => Error;
  /**
   * Called once the watch listens for changes, before it reads the current
   * state: from then on, no change is missed.
   */
  onListening?: () => void;
}

/** One event: a task after a change, or as it is now when `current`. */
export interface TaskEvent {
  task: Task;
  current: boolean;
}

/**
 * Streams task events matching the filters, in the order they happen,
 * optionally starting with the current state of the matching tasks. Changes
 * that happen while the current state is being read are queued, not lost.
 */
export async function* watchTaskEvents(
  deps: WatchTaskEventsDeps,
  request: WatchTaskEventsRequest,
): AsyncGenerator<TaskEvent> {
  const matches = (task: Task) =>
    (request.queue === "" || task.queue === request.queue) &&
    (request.visibleQueues === undefined || request.visibleQueues.includes(task.queue)) &&
    (request.taskIds.length === 0 || request.taskIds.includes(task.id)) &&
    (request.states.length === 0 || request.states.includes(task.state));
  const queue = createAsyncQueue<Task>(request.bufferLimit);
  const unsubscribe = deps.events.subscribeTasks((task) => {
    if (matches(task) && !queue.push(task)) {
      queue.close(request.onOverflow());
    }
  });
  const endOnAbort = () => queue.close(request.signal.reason);
  request.signal.addEventListener("abort", endOnAbort);
  try {
    request.signal.throwIfAborted();
    request.onListening?.();
    if (request.includeCurrent) {
      for (const task of await currentTasks(deps.tasks, request)) {
        if (matches(task)) {
          yield { task, current: true };
        }
      }
    }
    for await (const task of queue) {
      yield { task, current: false };
    }
  } finally {
    unsubscribe();
    request.signal.removeEventListener("abort", endOnAbort);
  }
}

async function currentTasks(tasks: TaskStore, request: WatchTaskEventsRequest): Promise<Task[]> {
  if (request.taskIds.length > 0) {
    return Promise.all(request.taskIds.map((id) => tasks.getTask(id)));
  }
  const unfinished: Task[] = [];
  let after: number | undefined;
  do {
    const page = await tasks.listTasks(
      { pageSize: 1000, after },
      {
        queue: request.queue,
        states: ["pending", "running"],
        labels: {},
        owner: "",
        queues: request.visibleQueues,
      },
    );
    unfinished.push(...page.items.filter((task) => !finishedTaskStates.includes(task.state)));
    after = decodePageToken<number>(page.nextPageToken, "number");
  } while (after !== undefined);
  return unfinished.reverse();
}
