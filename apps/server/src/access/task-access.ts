import { Code, ConnectError } from "@connectrpc/connect";
import type { Task } from "../domain/records.js";
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
    throw new ConnectError(
      `task "${task.id}" is in queue "${task.queue}", which your credential has no grant for`,
      Code.PermissionDenied,
    );
  }
}

/** Refuses a submit to a queue the caller has no grant for. */
export function checkCanSubmitTo(principal: Principal, queue: string): void {
  if (!canUseQueue(principal, queue)) {
    throw new ConnectError(
      `your credential may not submit to queue "${queue}"; it may submit to: ${principal.queues.join(", ")}`,
      Code.PermissionDenied,
    );
  }
}

/** Refuses to cancel somebody else's task unless the caller is an operator or admin. */
export function checkCanCancel(principal: Principal, task: Pick<Task, "id" | "owner">): void {
  if (task.owner !== principal.subject && !principal.permissions.has("tasks.cancel-any")) {
    throw new ConnectError(
      `task "${task.id}" belongs to ${task.owner === "" ? "nobody" : `"${task.owner}"`}; cancelling another's task needs the operator role`,
      Code.PermissionDenied,
    );
  }
}

/** The queues a caller's listings are limited to; undefined for every queue. */
export function visibleQueues(principal: Principal): readonly string[] | undefined {
  return principal.queues.length === 0 ? undefined : principal.queues;
}
