import type { Kysely } from "kysely";
import type {
  QueueCapacity,
  SchedulableNode,
  SchedulingInput,
} from "../scheduling/plan-assignments.js";
import { stringListColumn, stringMapColumn } from "./json-columns.js";
import type { Database } from "./schema.js";

/**
 * Reads what one scheduling pass decides on: up to 1000 pending tasks by queue
 * priority then submission order, every queue's quota and use, the resource
 * groups, and the free healthy GPUs of the uncordoned nodes among
 * `connectedNodes` whose last heartbeat is at `cutoff` or later.
 */
export async function readSchedulingInput(
  tx: Kysely<Database>,
  connectedNodes: ReadonlySet<string>,
  cutoff: number,
): Promise<SchedulingInput> {
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
