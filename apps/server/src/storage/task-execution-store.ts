import type { Kysely } from "kysely";
import type { Task, TaskOutcome } from "../domain/records.js";
import { failTasks, failTasksOfLostNodes, finishTask } from "./end-running-tasks.js";
import { type StartedTask, scheduleNextTasks } from "./schedule-next-tasks.js";
import type { Database } from "./schema.js";

export type { StartedTask } from "./schedule-next-tasks.js";

/** What an agent measured of one real GPU. */
export interface GpuMeasurement {
  uuid: string;
  utilizationPercent: number | undefined;
  memoryUsedBytes: number | undefined;
}

/** Options of {@link createTaskExecutionStore}. */
export interface TaskExecutionStoreOptions {
  /** A node whose last heartbeat is older than this is OFFLINE. */
  nodeOfflineAfterMs: number;
}

/** The writes of scheduling and execution: allocation, completion, node loss. */
export interface TaskExecutionStore {
  /**
   * One scheduling pass in one transaction: reads pending tasks, queues and the
   * free GPUs of ready nodes among `connectedNodes`, decides, and allocates.
   * A GPU is only ever taken while it is free, so no GPU goes to two tasks.
   */
  scheduleNextTasks(connectedNodes: ReadonlySet<string>, now: Date): Promise<StartedTask[]>;
  /**
   * Records how a running task ended, as reported by its node, and frees its
   * GPUs. Returns undefined for a stale report (the task is not running there).
   */
  finishTask(outcome: TaskOutcome, now: Date): Promise<Task | undefined>;
  /** Fails the running tasks of nodes that stopped heartbeating, freeing their GPUs. */
  failTasksOfLostNodes(now: Date): Promise<Task[]>;
  /** Fails the given running tasks of one node, for example ones its agent no longer runs. */
  failTasks(nodeName: string, taskIds: string[], reason: string, now: Date): Promise<Task[]>;
  /** IDs of the tasks running on a node. */
  runningTaskIds(nodeName: string): Promise<string[]>;
  /** Records a heartbeat, with GPU utilisation when measured. */
  recordHeartbeat(nodeName: string, measurements: GpuMeasurement[], now: Date): Promise<void>;
}

/** Creates the task execution store over the database. */
export function createTaskExecutionStore(
  db: Kysely<Database>,
  options: TaskExecutionStoreOptions,
): TaskExecutionStore {
  const cutoffOf = (now: Date) => now.getTime() - options.nodeOfflineAfterMs;
  return {
    scheduleNextTasks: (connectedNodes, now) =>
      scheduleNextTasks(db, connectedNodes, cutoffOf(now), now),
    finishTask: (outcome, now) => finishTask(db, outcome, now),
    failTasksOfLostNodes: (now) => failTasksOfLostNodes(db, cutoffOf(now), now),
    failTasks: (nodeName, taskIds, reason, now) => failTasks(db, nodeName, taskIds, reason, now),
    runningTaskIds: (nodeName) => runningTaskIds(db, nodeName),
    recordHeartbeat: (nodeName, measurements, now) =>
      recordHeartbeat(db, nodeName, measurements, now),
  };
}

async function runningTaskIds(db: Kysely<Database>, nodeName: string): Promise<string[]> {
  const rows = await db
    .selectFrom("tasks")
    .select("id")
    .where("node_name", "=", nodeName)
    .where("state", "=", "running")
    .execute();
  return rows.map((row) => row.id);
}

async function recordHeartbeat(
  db: Kysely<Database>,
  nodeName: string,
  measurements: GpuMeasurement[],
  now: Date,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx
      .updateTable("nodes")
      .set({ last_heartbeat_time: now.getTime() })
      .where("name", "=", nodeName)
      .execute();
    for (const gpu of measurements) {
      await tx
        .updateTable("gpus")
        .set({
          utilization_percent: gpu.utilizationPercent ?? null,
          memory_used_bytes: gpu.memoryUsedBytes ?? null,
        })
        .where("uuid", "=", gpu.uuid)
        .where("node_name", "=", nodeName)
        .execute();
    }
  });
}
