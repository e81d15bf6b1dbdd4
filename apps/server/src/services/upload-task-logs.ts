import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, type HandlerContext } from "@connectrpc/connect";
import {
  LogStream,
  type UploadTaskLogsRequest,
  type UploadTaskLogsResponseSchema,
} from "@sherpa/proto";
import { callerOf } from "../access/principal-context.js";
import type { TaskEventHub } from "../events/task-event-hub.js";
import type { TaskLogStore } from "../storage/task-log-store.js";
import type { TaskStore } from "../storage/task-store.js";
import { reasonedError } from "./reasoned-error.js";

/** What uploading task logs needs. */
export interface UploadTaskLogsDeps {
  tasks: TaskStore;
  logs: TaskLogStore;
  events: TaskEventHub;
  now: () => Date;
}

/**
 * AgentService.UploadTaskLogs: stores the lines of tasks running on the
 * caller's node and hands them to live followers.
 */
export async function uploadTaskLogs(
  deps: UploadTaskLogsDeps,
  requests: AsyncIterable<UploadTaskLogsRequest>,
  context: HandlerContext,
): Promise<MessageInitShape<typeof UploadTaskLogsResponseSchema>> {
  const caller = callerOf(context);
  let stored = 0;
  let checkedTaskId: string | undefined;
  for await (const request of requests) {
    if (request.taskId !== checkedTaskId) {
      const task = await deps.tasks.getTask(request.taskId);
      if (task.nodeName !== caller.nodeName) {
        throw reasonedError(
          `task "${task.id}" does not run on node "${caller.nodeName}"`,
          Code.PermissionDenied,
          "WRONG_NODE",
        );
      }
      checkedTaskId = request.taskId;
    }
    const lines = await deps.logs.appendLines(
      request.taskId,
      request.lines.map((line) => ({
        stream: line.stream === LogStream.STDERR ? "stderr" : "stdout",
        text: line.text,
      })),
      deps.now(),
    );
    deps.events.publishLogLines(request.taskId, lines);
    stored += lines.length;
  }
  return { linesStored: BigInt(stored) };
}
