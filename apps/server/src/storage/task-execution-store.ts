import type { Kysely } from "kysely";
import type { Task, TaskOutcome } from "../domain/records.js";
import {
  type Assignment,
  planAssignments,
  type QueueCapacity,
  type SchedulableNode,
} from "../scheduling/plan-assignments.js";
import { stringListColumn, stringMapColumn, toJsonColumn } from "./json-columns.js";
import type { Database } from "./schema.js";
import { getTask, toTask } from "./task-store.js";

/** A task the scheduler just started, and the GPU indices to give it. */
export interface StartedTask {
  task: Task;
  gpuIndices: number[];
}

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

  return {
    scheduleNextTasks(connectedNodes, now) {
      return db.transaction().execute(async (tx) => {
        const input = await readSchedulingInput(tx, connectedNodes, cutoffOf(now));
        if (input.pendingTasks.length === 0 || input.nodes.length === 0) {
          return [];
        }
        const started: StartedTask[] = [];
        for (const assignment of planAssignments(input)) {
          started.push(await allocate(tx, assignment, now));
        }
        return started;
      });
    },

    finishTask(outcome, now) {
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
    },

    failTasksOfLostNodes(now) {
      return db.transaction().execute(async (tx) => {
        const rows = await tx
          .selectFrom("tasks")
          .innerJoin("nodes", "nodes.name", "tasks.node_name")
          .select("tasks.id")
          .where("tasks.state", "=", "running")
          .where("nodes.last_heartbeat_time", "<", cutoffOf(now))
          .execute();
        return endTasks(
          tx,
          rows.map((row) => row.id),
          { state: "failed", reason: "node lost" },
          now,
        );
      });
    },

    failTasks(nodeName, taskIds, reason, now) {
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
    },

    async runningTaskIds(nodeName) {
      const rows = await db
        .selectFrom("tasks")
        .select("id")
        .where("node_name", "=", nodeName)
        .where("state", "=", "running")
        .execute();
      return rows.map((row) => row.id);
    },

    async recordHeartbeat(nodeName, measurements, now) {
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
    },
  };
}

async function readSchedulingInput(
  tx: Kysely<Database>,
  connectedNodes: ReadonlySet<string>,
  cutoff: number,
) {
  const pending = await tx
    .selectFrom("tasks")
    .innerJoin("queues", "queues.name", "tasks.queue")
    .select(["tasks.id", "tasks.queue", "tasks.gpu_count", "tasks.gpu_model"])
    .where("tasks.state", "=", "pending")
    .orderBy("queues.priority", "desc")
    .orderBy("tasks.seq", "asc")
    .limit(1000)
    .execute();
  const queueRows = await tx
    .selectFrom("queues")
    .select(["name", "gpu_quota", "resource_groups"])
    .execute();
  const inUseRows = await tx
    .selectFrom("tasks")
    .select((eb) => ["queue", eb.fn.sum<number>("gpu_count").as("gpus")])
    .where("state", "=", "running")
    .groupBy("queue")
    .execute();
  const queues = new Map<string, QueueCapacity>(
    queueRows.map((row) => [
      row.name,
      {
        gpuQuota: row.gpu_quota,
        gpusInUse: Number(inUseRows.find((used) => used.queue === row.name)?.gpus ?? 0),
        resourceGroups: stringListColumn(row.resource_groups),
      },
    ]),
  );
  const groupRows = await tx
    .selectFrom("resource_groups")
    .select(["name", "node_selector"])
    .execute();
  const nodeRows = await tx
    .selectFrom("nodes")
    .select(["name", "labels"])
    .where("cordoned", "=", 0)
    .where("last_heartbeat_time", ">=", cutoff)
    .orderBy("name")
    .execute();
  const connected = nodeRows.filter((row) => connectedNodes.has(row.name));
  const gpuRows =
    connected.length === 0
      ? []
      : await tx
          .selectFrom("gpus")
          .select(["uuid", "gpu_index", "model", "node_name"])
          .where(
            "node_name",
            "in",
            connected.map((row) => row.name),
          )
          .where("task_id", "is", null)
          .where("unhealthy", "=", 0)
          .execute();
  const nodes: SchedulableNode[] = connected.map((row) => ({
    name: row.name,
    labels: stringMapColumn(row.labels),
    freeGpus: gpuRows
      .filter((gpu) => gpu.node_name === row.name)
      .map((gpu) => ({ uuid: gpu.uuid, index: gpu.gpu_index, model: gpu.model })),
  }));
  return {
    pendingTasks: pending.map((row) => ({
      id: row.id,
      queue: row.queue,
      gpuCount: row.gpu_count,
      gpuModel: row.gpu_model,
    })),
    queues,
    resourceGroups: new Map(groupRows.map((row) => [row.name, stringMapColumn(row.node_selector)])),
    nodes,
  };
}

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
