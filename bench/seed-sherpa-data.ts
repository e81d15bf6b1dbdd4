import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { TaskService } from "@sherpa/proto";
import { insertLogLines } from "./insert-log-lines.js";
import { createOwnedTransport } from "./owned-transport.js";
import { pendingTaskRequest } from "./pending-task.js";
import { startSherpa } from "./sherpa-process.js";

/** The tasks the seeded database holds. */
export interface SeededTasks {
  /** The task GetTask reads. */
  getTaskId: string;
  /** The task whose log StreamTaskLogs sends. */
  logTaskId: string;
}

/**
 * Makes a data directory for the benchmark: starts Sherpa once (which creates
 * the database and the admin token), submits two pending tasks through the API,
 * stops it, and gives the second task `logLines` lines of output.
 */
export async function seedSherpaData(
  dataDir: string,
  logFile: string,
  logLines: number,
): Promise<SeededTasks> {
  const sherpa = await startSherpa(dataDir, logFile);
  let tasks: SeededTasks;
  const { transport, close } = createOwnedTransport("grpc", sherpa.baseUrl);
  try {
    const client = createClient(TaskService, transport);
    const submit = (name: string) =>
      client.submitTask({ ...pendingTaskRequest, name }, { headers: sherpa.headers });
    const getTask = await submit("bench-get-task");
    const logTask = await submit("bench-log-stream");
    tasks = { getTaskId: getTask.task?.id ?? "", logTaskId: logTask.task?.id ?? "" };
  } finally {
    close();
    await sherpa.stop();
  }
  insertLogLines(join(dataDir, "sherpa.db"), tasks.logTaskId, logLines);
  return tasks;
}
