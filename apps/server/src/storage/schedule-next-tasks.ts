import type { Kysely } from "kysely";
import type { Task } from "../domain/records.js";
import { type Assignment, planAssignments } from "../scheduling/plan-assignments.js";
import { toJsonColumn } from "./json-columns.js";
import { readSchedulingInput } from "./read-scheduling-input.js";
import type { Database } from "./schema.js";
import { getTask } from "./task-store.js";

/** A task the scheduler just started, and the GPU indices to give it. */
export interface StartedTask {
  task: Task;
  gpuIndices: number[];
}

/**
 * One scheduling pass in one transaction: reads pending tasks, queues and the
 * free GPUs of ready nodes among `connectedNodes` (heartbeat at `cutoff` or
 * later), plans, and allocates.
 */
export function scheduleNextTasks(
  db: Kysely<Database>,
  connectedNodes: ReadonlySet<string>,
  cutoff: number,
  now: Date,
): Promise<StartedTask[]> {
  return db.transaction().execute(async (tx) => {
    const input = await readSchedulingInput(tx, connectedNodes, cutoff);
    if (input.pendingTasks.length === 0 || input.nodes.length === 0) {
      return [];
    }
    const started: StartedTask[] = [];
    for (const assignment of planAssignments(input)) {
      started.push(await allocate(tx, assignment, now));
    }
    return started;
  });
}

/**
 * Gives a task its GPUs and marks it RUNNING; a GPU taken meanwhile rolls the
 * whole pass back, so no GPU goes to two tasks.
 */
async function allocate(
  tx: Kysely<Database>,
  assignment: Assignment,
  now: Date,
): Promise<StartedTask> {
  const uuids = assignment.gpus.map((gpu) => gpu.uuid);
  if (uuids.length > 0) {
    const taken = await tx
      .updateTable("gpus")
      .set({ task_id: assignment.taskId })
      .where("uuid", "in", uuids)
      .where("task_id", "is", null)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== uuids.length) {
      throw new Error(
        `GPU allocation conflict for task ${assignment.taskId}; scheduling pass rolled back`,
      );
    }
  }
  await tx
    .updateTable("tasks")
    .set({
      state: "running",
      state_reason: `running on ${assignment.nodeName}`,
      node_name: assignment.nodeName,
      gpu_uuids: toJsonColumn(uuids),
      start_time: now.getTime(),
    })
    .where("id", "=", assignment.taskId)
    .where("state", "=", "pending")
    .execute();
  return {
    task: await getTask(tx, assignment.taskId),
    gpuIndices: assignment.gpus.map((gpu) => gpu.index),
  };
}
