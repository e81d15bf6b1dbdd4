import type { Kysely } from "kysely";
import type { Task, TaskOutcome } from "../domain/records.js";
import type { Database } from "./schema.js";
import { toTask } from "./task-store.js";

/**
 * Records how a running task ended, as reported by its node, and frees its
 * GPUs; undefined for a stale report (the task is not running there). A
 * cancelled task keeps the reason it was cancelled with.
 */
export function finishTask(
  db: Kysely<Database>,
  outcome: TaskOutcome,
  now: Date,
): Promise<Task | undefined> {
  return db.transaction().execute(async (tx) => {
    const task = await tx
      .selectFrom("tasks")
      .select(["state", "node_name", "cancel_reason"])
      .where("id", "=", outcome.taskId)
      .executeTakeFirst();
    if (task === undefined || task.state !== "running" || task.node_name !== outcome.nodeName) {
      return undefined;
    }
    const reason =
      outcome.state === "cancelled" && task.cancel_reason !== null
        ? task.cancel_reason
        : outcome.reason;
    const [ended] = await endTasks(
      tx,
      [outcome.taskId],
      { state: outcome.state, exitCode: outcome.exitCode, reason },
      now,
    );
    return ended;
  });
}

/** Fails the running tasks of nodes whose last heartbeat is before `cutoff`. */
export function failTasksOfLostNodes(
  db: Kysely<Database>,
  cutoff: number,
  now: Date,
): Promise<Task[]> {
  return db.transaction().execute(async (tx) => {
    const rows = await tx
      .selectFrom("tasks")
      .innerJoin("nodes", "nodes.name", "tasks.node_name")
      .select("tasks.id")
      .where("tasks.state", "=", "running")
      .where("nodes.last_heartbeat_time", "<", cutoff)
      .execute();
    return endTasks(
      tx,
      rows.map((row) => row.id),
      { state: "failed", reason: "node lost" },
      now,
    );
  });
}

/** Fails those of `taskIds` that run on `nodeName`. */
export function failTasks(
  db: Kysely<Database>,
  nodeName: string,
  taskIds: string[],
  reason: string,
  now: Date,
): Promise<Task[]> {
  return db.transaction().execute(async (tx) => {
    const rows = await tx
      .selectFrom("tasks")
      .select("id")
      .where("id", "in", taskIds.length > 0 ? taskIds : [""])
      .where("node_name", "=", nodeName)
      .where("state", "=", "running")
      .execute();
    return endTasks(
      tx,
      rows.map((row) => row.id),
      { state: "failed", reason },
      now,
    );
  });
}

/** Ends those of `taskIds` still running and frees their GPUs; returns the tasks as they are now. */
async function endTasks(
  tx: Kysely<Database>,
  taskIds: string[],
  values: { state: string; exitCode?: number; reason: string },
  now: Date,
): Promise<Task[]> {
  if (taskIds.length === 0) {
    return [];
  }
  await tx
    .updateTable("tasks")
    .set({
      state: values.state,
      exit_code: values.exitCode ?? null,
      state_reason: values.reason,
      end_time: now.getTime(),
      cancel_reason: null,
    })
    .where("id", "in", taskIds)
    .where("state", "=", "running")
    .execute();
  await tx.updateTable("gpus").set({ task_id: null }).where("task_id", "in", taskIds).execute();
  const rows = await tx.selectFrom("tasks").selectAll().where("id", "in", taskIds).execute();
  return rows.map(toTask);
}
