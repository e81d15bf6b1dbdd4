import type { Kysely } from "kysely";
import type { LogLine, LogStream } from "../domain/records.js";
import type { Database } from "./schema.js";

/** Reads and appends task output lines. */
export interface TaskLogStore {
  /** Appends lines after the task's last one and returns them with their offsets. */
  appendLines(
    taskId: string,
    lines: { stream: LogStream; text: string }[],
    now: Date,
  ): Promise<LogLine[]>;
  /** Up to `limit` lines from `fromOffset` on, in order. */
  readLines(taskId: string, fromOffset: number, limit: number): Promise<LogLine[]>;
}

/** Creates the task log store over the database. */
export function createTaskLogStore(db: Kysely<Database>): TaskLogStore {
  return {
    appendLines(taskId, lines, now) {
      if (lines.length === 0) {
        return Promise.resolve([]);
      }
      return db.transaction().execute(async (tx) => {
        const last = await tx
          .selectFrom("task_logs")
          .select((eb) => eb.fn.max<number | null>("offset").as("offset"))
          .where("task_id", "=", taskId)
          .executeTakeFirst();
        const first =
          last?.offset === null || last?.offset === undefined ? 0 : Number(last.offset) + 1;
        const rows = lines.map((line, index) => ({
          task_id: taskId,
          offset: first + index,
          stream: line.stream,
          text: line.text,
          time: now.getTime(),
        }));
        // SQLite limits bound parameters per statement, so long batches go in slices.
        for (let start = 0; start < rows.length; start += 100) {
          await tx
            .insertInto("task_logs")
            .values(rows.slice(start, start + 100))
            .execute();
        }
        return rows.map((row) => ({
          offset: row.offset,
          stream: toLogStream(row.stream),
          text: row.text,
          time: now,
        }));
      });
    },

    async readLines(taskId, fromOffset, limit) {
      const rows = await db
        .selectFrom("task_logs")
        .selectAll()
        .where("task_id", "=", taskId)
        .where("offset", ">=", fromOffset)
        .orderBy("offset")
        .limit(limit)
        .execute();
      return rows.map((row) => ({
        offset: Number(row.offset),
        stream: toLogStream(row.stream),
        text: row.text,
        time: new Date(Number(row.time)),
      }));
    },
  };
}

function toLogStream(stream: string): LogStream {
  return stream === "stderr" ? "stderr" : "stdout";
}
