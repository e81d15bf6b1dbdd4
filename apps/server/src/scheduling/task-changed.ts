import type { Task } from "../domain/records.js";
import type { TaskEventHub } from "../events/task-event-hub.js";
import type { Scheduler } from "./scheduler.js";

/** What {@link taskChanged} tells. */
export interface TaskChangedDeps {
  events: Pick<TaskEventHub, "publishTask">;
  scheduler: Pick<Scheduler, "requestScheduling">;
}

/**
 * After a task changed: watchers get the new state, and the scheduler looks
 * again, since a new task may fit or an ended one may have freed GPUs or quota.
 */
export function taskChanged(deps: TaskChangedDeps, task: Task): void {
  deps.events.publishTask(task);
  deps.scheduler.requestScheduling();
}
