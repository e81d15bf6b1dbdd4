import type { Kysely, Selectable } from "kysely";
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from "../domain/errors.js";
import type { Queue, QueueUsage } from "../domain/records.js";
import { stringListColumn, toJsonColumn } from "./json-columns.js";
import { type Page, type PageRequest, toPage } from "./pagination.js";
import type { Database, QueueTable } from "./schema.js";

/** A new queue: everything the caller chooses. */
export type NewQueue = Omit<Queue, "createTime" | "updateTime">;

/** Fields UpdateQueue may change. */
export type QueueChanges = Partial<
  Pick<Queue, "description" | "resourceGroups" | "gpuQuota" | "priority" | "state">
>;

/** Reads and writes queues. */
export interface QueueStore {
  /** Creates a queue, or returns the queue created earlier with the same request id. */
  createQueue(queue: NewQueue, now: Date): Promise<Queue>;
  getQueue(name: string): Promise<Queue>;
  listQueues(page: PageRequest<string>): Promise<Page<Queue>>;
  updateQueue(name: string, changes: QueueChanges, now: Date): Promise<Queue>;
  /** Deletes a queue that has no pending or running task. */
  deleteQueue(name: string): Promise<void>;
  /** What the queue's tasks use now. */
  getUsage(name: string): Promise<QueueUsage>;
}

/** Creates the queue store over the database. */
export function createQueueStore(db: Kysely<Database>): QueueStore {
  return {
    createQueue(queue, now) {
      return db.transaction().execute(async (tx) => {
        if (queue.requestId !== "") {
          const earlier = await tx
            .selectFrom("queues")
            .selectAll()
            .where("request_id", "=", queue.requestId)
            .executeTakeFirst();
          if (earlier !== undefined) {
            return toQueue(earlier);
          }
        }
        if ((await findQueue(tx, queue.name)) !== undefined) {
          throw alreadyExists("queue", queue.name);
        }
        await assertResourceGroupsExist(tx, queue.resourceGroups);
        const row = {
          name: queue.name,
          description: queue.description,
          resource_groups: toJsonColumn(queue.resourceGroups),
          gpu_quota: queue.gpuQuota,
          priority: queue.priority,
          state: queue.state,
          request_id: queue.requestId === "" ? null : queue.requestId,
          create_time: now.getTime(),
          update_time: now.getTime(),
        };
        await tx.insertInto("queues").values(row).execute();
        return toQueue(row);
      });
    },

    getQueue(name) {
      return getQueue(db, name);
    },

    async listQueues({ pageSize, after }) {
      let query = db
        .selectFrom("queues")
        .selectAll()
        .orderBy("name")
        .limit(pageSize + 1);
      if (after !== undefined) {
        query = query.where("name", ">", after);
      }
      return toPage(await query.execute(), pageSize, (row) => row.name, toQueue);
    },

    updateQueue(name, changes, now) {
      return db.transaction().execute(async (tx) => {
        const current = await getQueue(tx, name);
        if (changes.resourceGroups !== undefined) {
          await assertResourceGroupsExist(tx, changes.resourceGroups);
        }
        const updated: Queue = { ...current, ...changes, updateTime: now };
        await tx
          .updateTable("queues")
          .set({
            description: updated.description,
            resource_groups: toJsonColumn(updated.resourceGroups),
            gpu_quota: updated.gpuQuota,
            priority: updated.priority,
            state: updated.state,
            update_time: now.getTime(),
          })
          .where("name", "=", name)
          .execute();
        return updated;
      });
    },

    deleteQueue(name) {
      return db.transaction().execute(async (tx) => {
        await getQueue(tx, name);
        const usage = await getUsage(tx, name);
        if (usage.pendingTasks + usage.runningTasks > 0) {
          throw failedPrecondition(
            "QUEUE_HAS_TASKS",
            `queue "${name}" has ${usage.pendingTasks} pending and ${usage.runningTasks} running tasks; cancel them or wait for them to end before deleting it`,
          );
        }
        await tx.deleteFrom("queues").where("name", "=", name).execute();
      });
    },

    getUsage(name) {
      return getUsage(db, name);
    },
  };
}

async function findQueue(db: Kysely<Database>, name: string): Promise<Queue | undefined> {
  const row = await db.selectFrom("queues").selectAll().where("name", "=", name).executeTakeFirst();
  return row === undefined ? undefined : toQueue(row);
}

async function getQueue(db: Kysely<Database>, name: string): Promise<Queue> {
  const queue = await findQueue(db, name);
  if (queue === undefined) {
    throw notFound("queue", name);
  }
  return queue;
}

async function assertResourceGroupsExist(db: Kysely<Database>, names: readonly string[]) {
  if (names.length === 0) {
    return;
  }
  const found = await db
    .selectFrom("resource_groups")
    .select("name")
    .where("name", "in", names)
    .execute();
  const known = new Set(found.map((row) => row.name));
  const index = names.findIndex((name) => !known.has(name));
  if (index >= 0) {
    throw invalidArgument(
      `queue.resource_groups[${index}]`,
      `resource group "${names[index]}" does not exist; create it first or pick one from ListResourceGroups`,
    );
  }
}

async function getUsage(db: Kysely<Database>, name: string): Promise<QueueUsage> {
  const rows = await db
    .selectFrom("tasks")
    .select((eb) => [
      "state",
      eb.fn.countAll<number>().as("tasks"),
      eb.fn.sum<number>("gpu_count").as("gpus"),
    ])
    .where("queue", "=", name)
    .where("state", "in", ["pending", "running"])
    .groupBy("state")
    .execute();
  const pending = rows.find((row) => row.state === "pending");
  const running = rows.find((row) => row.state === "running");
  return {
    gpusInUse: Number(running?.gpus ?? 0),
    pendingTasks: Number(pending?.tasks ?? 0),
    runningTasks: Number(running?.tasks ?? 0),
  };
}

function toQueue(row: Selectable<QueueTable>): Queue {
  return {
    name: row.name,
    description: row.description,
    resourceGroups: stringListColumn(row.resource_groups),
    gpuQuota: row.gpu_quota,
    priority: row.priority,
    state: row.state === "closed" ? "closed" : "open",
    requestId: row.request_id ?? "",
    createTime: new Date(Number(row.create_time)),
    updateTime: new Date(Number(row.update_time)),
  };
}
