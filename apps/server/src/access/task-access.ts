import { Code } from "@connectrpc/connect";
import type { Task } from "../domain/records.js";
import { reasonedError } from "../services/reasoned-error.js";
import { canUseQueue, type Principal } from "./principal.js";

/** Whether the caller may see the values of a task's environment: its owner and admins. */
export function canSeeEnvValues(principal: Principal, task: Pick<Task, "owner">): boolean {
  return (
    principal.permissions.has("tasks.read-env") ||
    (task.owner !== "" && task.owner === principal.subject)
  );
}

/** Refuses a task in a queue the caller has no grant for. */
export function checkCanSeeTask(principal: Principal, task: Pick<Task, "id" | "queue">): void {
  if (!canUseQueue(principal, task.queue)) {
    throw reasonedError(
      `task "${task.id}" is in queue "${task.queue}", which your credential has no grant for`,
      Code.PermissionDenied,
      "QUEUE_NOT_GRANTED",
    );
  }
}

/** Refuses a submit to a queue the caller has no grant for. */
export function checkCanSubmitTo(principal: Principal, queue: string): void {
  if (!canUseQueue(principal, queue)) {
    throw reasonedError(
      `your credential may not submit to queue "${queue}"; it may submit to: ${principal.queues.join(", ")}`,
      Code.PermissionDenied,
      "QUEUE_NOT_GRANTED",
    );
  }
}

/** Refuses to cancel somebody else's task unless the caller is an operator or admin. */
export function checkCanCancel(principal: Principal, task: Pick<Task, "id" | "owner">): void {
  if (task.owner !== principal.subject && !principal.permissions.has("tasks.cancel-any")) {
    throw reasonedError(
      `task "${task.id}" belongs to ${task.owner === "" ? "nobody" : `"${task.owner}"`}; cancelling another's task needs the operator role`,
      Code.PermissionDenied,
      "NOT_TASK_OWNER",
    );
  }
}

/** The queues a caller's listings are limited to; undefined for every queue. */
export function visibleQueues(principal: Principal): readonly string[] | undefined {
  return principal.queues.length === 0 ? undefined : principal.queues;
}
