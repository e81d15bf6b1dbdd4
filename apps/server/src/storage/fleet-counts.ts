import type { Kysely } from "kysely";
import type { GpuState, QueueUsage, TaskState } from "../domain/records.js";
import { stringListColumn } from "./json-columns.js";
import type { Database } from "./schema.js";

/** Tasks of one queue in one state. */
export interface TaskCount {
  queue: string;
  state: TaskState;
  tasks: number;
}

/** A queue's quota next to its usage. */
export interface QueueQuota extends QueueUsage {
  queue: string;
  gpuQuota: number;
  resourceGroups: string[];
}

/** The last measurement of a real GPU. */
export interface GpuUsage {
  node: string;
  uuid: string;
  index: number;
  model: string;
  utilizationPercent: number | undefined;
  memoryUsedBytes: number | undefined;
}

/** Aggregate counts over the fleet, read at scrape time for the domain metrics. */
export interface FleetCounts {
  /** GPUs whose agent reported a measurement. */
  measuredGpus(): Promise<GpuUsage[]>;
  tasksByQueueAndState(): Promise<TaskCount[]>;
  gpusByState(): Promise<Record<GpuState, number>>;
  queueQuotas(): Promise<QueueQuota[]>;
}

/** Creates the fleet counts over the database. */
export function createFleetCounts(db: Kysely<Database>): FleetCounts {
  return {
    async measuredGpus() {
      const rows = await db
        .selectFrom("gpus")
        .select([
          "node_name",
          "uuid",
          "gpu_index",
          "model",
          "utilization_percent",
          "memory_used_bytes",
        ])
        .where((eb) =>
          eb.or([
            eb("utilization_percent", "is not", null),
            eb("memory_used_bytes", "is not", null),
          ]),
        )
        .execute();
      return rows.map((row) => ({
        node: row.node_name,
        uuid: row.uuid,
        index: row.gpu_index,
        model: row.model,
        utilizationPercent: row.utilization_percent ?? undefined,
        memoryUsedBytes: row.memory_used_bytes === null ? undefined : Number(row.memory_used_bytes),
      }));
    },

    async tasksByQueueAndState() {
      const rows = await db
        .selectFrom("tasks")
        .select((eb) => ["queue", "state", eb.fn.countAll<number>().as("tasks")])
        .groupBy(["queue", "state"])
        .execute();
      return rows.map((row) => ({
        queue: row.queue,
        state: row.state as TaskState,
        tasks: Number(row.tasks),
      }));
    },

    async gpusByState() {
      const row = await db
        .selectFrom("gpus")
        .select((eb) => [
          eb.fn.countAll<number>().as("all"),
          eb.fn.sum<number>("unhealthy").as("unhealthy"),
          eb.fn.count<number>("task_id").as("allocated"),
        ])
        .executeTakeFirstOrThrow();
      const unhealthy = Number(row.unhealthy ?? 0);
      const allocated = Number(row.allocated);
      return { free: Number(row.all) - unhealthy - allocated, allocated, unhealthy };
    },

    async queueQuotas() {
      const queues = await db
        .selectFrom("queues")
        .select(["name", "gpu_quota", "resource_groups"])
        .execute();
      const usage = await db
        .selectFrom("tasks")
        .select((eb) => [
          "queue",
          "state",
          eb.fn.countAll<number>().as("tasks"),
          eb.fn.sum<number>("gpu_count").as("gpus"),
        ])
        .where("state", "in", ["pending", "running"])
        .groupBy(["queue", "state"])
        .execute();
      const count = (queue: string, state: string, field: "tasks" | "gpus") =>
        Number(usage.find((row) => row.queue === queue && row.state === state)?.[field] ?? 0);
      return queues.map((queue) => ({
        queue: queue.name,
        gpuQuota: queue.gpu_quota,
        resourceGroups: stringListColumn(queue.resource_groups),
        gpusInUse: count(queue.name, "running", "gpus"),
        pendingTasks: count(queue.name, "pending", "tasks"),
        runningTasks: count(queue.name, "running", "tasks"),
      }));
    },
  };
}
