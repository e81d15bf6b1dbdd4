import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type LogLine as LogLineMessage,
  LogLineSchema,
  LogStream as LogStreamMessage,
  type Task as TaskMessage,
  TaskSchema,
  TaskState as TaskStateMessage,
} from "@sherpa/proto";
import type { LogLine, Task, TaskState } from "../domain/records.js";

const stateToMessage: Record<TaskState, TaskStateMessage> = {
  pending: TaskStateMessage.PENDING,
  running: TaskStateMessage.RUNNING,
  succeeded: TaskStateMessage.SUCCEEDED,
  failed: TaskStateMessage.FAILED,
  cancelled: TaskStateMessage.CANCELLED,
  "timed-out": TaskStateMessage.TIMED_OUT,
};

/** The domain task state of a TaskState enum value; undefined for UNSPECIFIED or unknown values. */
export function taskStateFromMessage(state: TaskStateMessage): TaskState | undefined {
  const entry = Object.entries(stateToMessage).find(([, value]) => value === state);
  return entry?.[0] as TaskState | undefined;
}

/** The API message of a task. */
export function toTaskMessage(task: Task, hideEnvValues = false): TaskMessage {
  return create(TaskSchema, {
    id: task.id,
    queue: task.queue,
    name: task.name,
    argv: task.argv,
    env: hideEnvValues
      ? Object.fromEntries(Object.keys(task.env).map((name) => [name, ""]))
      : task.env,
    envValuesHidden: hideEnvValues && Object.keys(task.env).length > 0,
    gpuCount: task.gpuCount,
    gpuModel: task.gpuModel,
    timeout: task.timeoutMs === undefined ? undefined : durationFromMs(task.timeoutMs),
    labels: task.labels,
    requestId: task.requestId,
    state: stateToMessage[task.state],
    stateReason: task.stateReason,
    exitCode: task.exitCode,
    nodeName: task.nodeName,
    gpuUuids: task.gpuUuids,
    createTime: timestampFromDate(task.createTime),
    startTime: task.startTime === undefined ? undefined : timestampFromDate(task.startTime),
    endTime: task.endTime === undefined ? undefined : timestampFromDate(task.endTime),
    owner: task.owner,
  });
}

/** The API message of a log line. */
export function toLogLineMessage(line: LogLine): LogLineMessage {
  return create(LogLineSchema, {
    offset: BigInt(line.offset),
    stream: line.stream === "stderr" ? LogStreamMessage.STDERR : LogStreamMessage.STDOUT,
    text: line.text,
    time: timestampFromDate(line.time),
  });
}
