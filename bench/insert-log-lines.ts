import SqliteDatabase from "better-sqlite3";

/**
 * Appends `count` output lines to a task straight into the task_logs table of a
 * stopped server's database, in one transaction. Uploading them through
 * AgentService.UploadTaskLogs would take longer than the case it prepares;
 * the rows are the ones the server writes (offset from 0, stream, text, time).
 */
export function insertLogLines(databaseFile: string, taskId: string, count: number): void {
  const db = new SqliteDatabase(databaseFile);
  try {
    db.pragma("journal_mode = WAL");
    const insert = db.prepare(
      'insert into task_logs (task_id, "offset", stream, text, time) values (?, ?, ?, ?, ?)',
    );
    const time = Date.now();
    db.transaction(() => {
      for (let offset = 0; offset < count; offset++) {
        insert.run(taskId, offset, offset % 50 === 49 ? "stderr" : "stdout", logText(offset), time);
      }
    })();
  } finally {
    db.close();
  }
}

/** A line like a training script prints, about 80 characters. */
function logText(offset: number): string {
  const loss = (2 + Math.sin(offset / 1000)).toFixed(4);
  return `step ${String(offset).padStart(7, "0")} loss=${loss} lr=3.0e-04 tokens/s=18432 gpu_mem=71.3GiB`;
}
