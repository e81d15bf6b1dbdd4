import { setTimeout as sleep } from "node:timers/promises";
import type { Task } from "@sherpa/proto";
import type { CommandContext } from "../command.js";
import { isTaskEnded } from "../task-exit-code.js";
import { fetchTask } from "./fetch-task.js";
import { printTaskLogs } from "./print-task-logs.js";

/** Pause before streaming again when a stream ended early without new lines. */
const resumeDelayMs = 1_000;

/**
 * Prints a task's log lines from `offset` as they are written until the task
 * has ended and every line is printed, then resolves to the ended task. A
 * stream the server ends early (a restart, a deadline cap) is resumed after the
 * last line printed, so no line is lost or repeated.
 */
export async function followTaskLogs(
  context: CommandContext,
  id: string,
  offset: bigint,
): Promise<Task> {
  let next = offset;
  for (;;) {
    const before = next;
    next = await printTaskLogs(context, { id, offset: next, follow: true });
    const task = await fetchTask(context.client, id, context.signal);
    if (isTaskEnded(task)) {
      return task;
    }
    if (next === before) {
      await sleep(resumeDelayMs, undefined, { signal: context.signal });
    }
  }
}
