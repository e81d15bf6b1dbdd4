import { randomUUID } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import { alreadyExists, failedPrecondition, notFound } from "../domain/errors.js";
import { finishedTaskStates, type Task, type TaskState } from "../domain/records.js";
import { stringListColumn, stringMapColumn, toJsonColumn } from "./json-columns.js";
import { type Page, type PageRequest, toPage } from "./pagination.js";
import type { Database, TaskTable } from "./schema.js";

/** What a submitter chooses about a task. */
export type NewTask = Pick<
  Task,
  | "queue"
  | "name"
  | "argv"
  | "env"
  | "gpuCount"
  | "gpuModel"
  | "timeoutMs"
  | "labels"
  | "requestId"
  | "owner"
>;

/** Filters of ListTasks. */
export interface TaskFilter {
  queue: string;
  states: TaskState[];
  labels: Record<string, string>;
  /** Only tasks of this owner; "" for any. */
  owner: string;
  /** Only tasks of these queues; undefined for any (a caller's queue grants). */
  queues: readonly string[] | undefined;
}

/** Reads and writes tasks. */
export interface TaskStore {
  /**
   * Adds a PENDING task to an open queue, or returns the task submitted earlier
   * with the same request id.
   */
  submitTask(task: NewTask, now: Date): Promise<Task>;
  getTask(id: string): Promise<Task>;
  /** Tasks newest first. */
  listTasks(page: PageRequest<number>, filter: TaskFilter): Promise<Page<Task>>;
  /**
   * Cancels a pending task at once; marks a running one as being cancelled
   * (it stays RUNNING, holding its GPUs, until its agent reports the end).
   */
  cancelTask(id: string, reason: string, now: Date): Promise<Task>;
}

/** Creates the task store over the database. */
export function createTaskStore(db: Kysely<Database>): TaskStore {
  return {
    submitTask(task, now) {
      return db.transaction().execute(async (tx) => {
        if (task.requestId !== "") {
          const earlier = await tx
            .selectFrom("tasks")
            .selectAll()
            .where("request_id", "=", task.requestId)
            .executeTakeFirst();
          if (earlier !== undefined && earlier.owner === task.owner) {
            return toTask(earlier);
          }
          if (earlier !== undefined) {
            // Someone else's task must not be handed back, nor its existence told.
            throw alreadyExists("request_id", task.requestId);
          }
        }
        const queue = await tx
          .selectFrom("queues")
          .select("state")
          .where("name", "=", task.queue)
          .executeTakeFirst();
        if (queue === undefined) {
          throw notFound("queue", task.queue);
        }
        if (queue.state === "closed") {
          throw failedPrecondition(
            "QUEUE_CLOSED",
            `queue "${task.queue}" is closed and accepts no new tasks`,
          );
        }
        const row = {
          id: randomUUID(),
          queue: task.queue,
          name: task.name,
          argv: toJsonColumn(task.argv),
          env: toJsonColumn(task.env),
          gpu_count: task.gpuCount,
          gpu_model: task.gpuModel,
          timeout_ms: task.timeoutMs ?? null,
          labels: toJsonColumn(task.labels),
          request_id: task.requestId === "" ? null : task.requestId,
          state: "pending",
          state_reason: "waiting for GPUs",
          exit_code: null,
          node_name: "",
          gpu_uuids: toJsonColumn([]),
          create_time: now.getTime(),
          start_time: null,
          end_time: null,
          owner: task.owner,
        };
        const inserted = await tx
          .insertInto("tasks")
          .values(row)
          .returningAll()
          .executeTakeFirstOrThrow();
        const labels = Object.entries(task.labels);
        if (labels.length > 0) {
          await tx
            .insertInto("task_labels")
            .values(labels.map(([key, value]) => ({ task_id: row.id, key, value })))
            .execute();
        }
        return toTask(inserted);
      });
    },

    getTask(id) {
      return getTask(db, id);
    },

    async listTasks({ pageSize, after }, filter) {
      let query = db
        .selectFrom("tasks")
        .selectAll()
        .orderBy("seq", "desc")
        .limit(pageSize + 1);
      if (after !== undefined) {
        query = query.where("seq", "<", after);
      }
      if (filter.queue !== "") {
        query = query.where("queue", "=", filter.queue);
      }
      if (filter.owner !== "") {
        query = query.where("owner", "=", filter.owner);
      }
      if (filter.queues !== undefined) {
        // An empty grant list is never passed (it means every queue), but `in ()` is not SQL.
        query = query.where("queue", "in", filter.queues.length > 0 ? filter.queues : [""]);
      }
      if (filter.states.length > 0) {
        query = query.where("state", "in", filter.states);
      }
      for (const [key, value] of Object.entries(filter.labels)) {
        query = query.where((eb) =>
          eb.exists(
            eb
              .selectFrom("task_labels")
              .select("task_labels.task_id")
              .whereRef("task_labels.task_id", "=", "tasks.id")
              .where("task_labels.key", "=", key)
              .where("task_labels.value", "=", value),
          ),
        );
      }
      return toPage(await query.execute(), pageSize, (row) => row.seq, toTask);
    },

    cancelTask(id, reason, now) {
      return db.transaction().execute(async (tx) => {
        const task = await getTask(tx, id);
        if (finishedTaskStates.includes(task.state)) {
          throw failedPrecondition(
            "TASK_ENDED",
            `task "${id}" has already ended as ${task.state.toUpperCase()}; only pending or running tasks can be cancelled`,
          );
        }
        // A running task keeps its GPUs until its agent reports that the process is gone.
        const change =
          task.state === "running"
            ? { state_reason: `cancelling: ${reason}`, cancel_reason: reason }
            : { state: "cancelled", state_reason: reason, end_time: now.getTime() };
        await tx.updateTable("tasks").set(change).where("id", "=", id).execute();
        return getTask(tx, id);
      });
    },
  };
}

export async function getTask(db: Kysely<Database>, id: string): Promise<Task> {
  const row = await db.selectFrom("tasks").selectAll().where("id", "=", id).executeTakeFirst();
  if (row === undefined) {
    throw notFound("task", id);
  }
  return toTask(row);
}

export function toTask(row: Selectable<TaskTable>): Task {
  return {
    id: row.id,
    queue: row.queue,
    name: row.name,
    argv: stringListColumn(row.argv),
    env: stringMapColumn(row.env),
    gpuCount: row.gpu_count,
    gpuModel: row.gpu_model,
    timeoutMs: row.timeout_ms === null ? undefined : Number(row.timeout_ms),
    labels: stringMapColumn(row.labels),
    requestId: row.request_id ?? "",
    state: row.state as TaskState,
    stateReason: row.state_reason,
    exitCode: row.exit_code ?? undefined,
    nodeName: row.node_name,
    gpuUuids: stringListColumn(row.gpu_uuids),
    createTime: new Date(Number(row.create_time)),
    startTime: optionalDate(row.start_time),
    endTime: optionalDate(row.end_time),
    owner: row.owner,
  };
}

function optionalDate(ms: number | null): Date | undefined {
  return ms === null ? undefined : new Date(Number(ms));
}
