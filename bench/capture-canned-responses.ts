import { create, toBinary, toJson } from "@bufbuild/protobuf";
import { createClient, type Transport } from "@connectrpc/connect";
import {
  GetTaskResponseSchema,
  StreamTaskLogsResponseSchema,
  SubmitTaskResponseSchema,
  TaskService,
  WatchTasksResponseSchema,
} from "@sherpa/proto";
import { Health, HealthCheckResponseSchema } from "@sherpa/proto/grpc/health/v1/health_pb.js";
import type { CannedResponses } from "./canned-responses.js";
import { createOwnedTransport } from "./owned-transport.js";
import { pendingTaskRequest } from "./pending-task.js";
import type { SeededTasks } from "./seed-sherpa-data.js";
import type { SherpaProcess } from "./sherpa-process.js";

/**
 * Asks Sherpa for one response of each kind the peers give: the seeded task,
 * a submitted task (one more pending task), a health check, the first batch of
 * the seeded log, and a task event like those WatchTasks sends.
 */
export async function captureCannedResponses(
  sherpa: SherpaProcess,
  tasks: SeededTasks,
  logLines: number,
): Promise<CannedResponses> {
  const { transport, close } = createOwnedTransport("grpc", sherpa.baseUrl);
  try {
    return await captureWith(transport, sherpa, tasks, logLines);
  } finally {
    close();
  }
}

async function captureWith(
  transport: Transport,
  sherpa: SherpaProcess,
  tasks: SeededTasks,
  logLines: number,
): Promise<CannedResponses> {
  const client = createClient(TaskService, transport);
  const options = { headers: sherpa.headers };
  const got = await client.getTask({ id: tasks.getTaskId }, options);
  const submitted = await client.submitTask(pendingTaskRequest, options);
  const health = await createClient(Health, transport).check({});
  let logBatch = create(StreamTaskLogsResponseSchema);
  const rest = new AbortController();
  for await (const batch of client.streamTaskLogs(
    { id: tasks.logTaskId },
    { ...options, signal: rest.signal },
  )) {
    logBatch = batch;
    // Leaving the loop alone would leave the call open, stalled, until the server stops.
    rest.abort();
    break;
  }
  if (logBatch.lines.length === 0) {
    throw new Error(`StreamTaskLogs sent no lines of task ${tasks.logTaskId}`);
  }
  return {
    getTask: toBinary(GetTaskResponseSchema, got),
    getTaskJson: toJson(GetTaskResponseSchema, got),
    submitTask: toBinary(SubmitTaskResponseSchema, submitted),
    healthCheck: toBinary(HealthCheckResponseSchema, health),
    watchTasks: toBinary(
      WatchTasksResponseSchema,
      create(WatchTasksResponseSchema, { task: got.task, current: false }),
    ),
    logBatch: toBinary(StreamTaskLogsResponseSchema, logBatch),
    logBatches: Math.ceil(logLines / logBatch.lines.length),
  };
}
