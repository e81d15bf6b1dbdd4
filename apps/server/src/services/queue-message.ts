import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Queue as QueueMessage,
  QueueSchema,
  QueueState as QueueStateMessage,
} from "@sherpa/proto";
import type { Queue, QueueState, QueueUsage } from "../domain/records.js";

/** The domain queue state of a QueueState value; UNSPECIFIED gives `fallback`. */
export function queueStateFromMessage(
  state: QueueStateMessage,
  fallback?: QueueState,
): QueueState | undefined {
  switch (state) {
    case QueueStateMessage.OPEN:
      return "open";
    case QueueStateMessage.CLOSED:
      return "closed";
    default:
      return state === QueueStateMessage.UNSPECIFIED ? fallback : undefined;
  }
}

/** The API message of a queue with its usage. */
export function toQueueMessage(queue: Queue, usage: QueueUsage): QueueMessage {
  return create(QueueSchema, {
    name: queue.name,
    description: queue.description,
    resourceGroups: queue.resourceGroups,
    gpuQuota: queue.gpuQuota,
    priority: queue.priority,
    state: queue.state === "open" ? QueueStateMessage.OPEN : QueueStateMessage.CLOSED,
    gpusInUse: usage.gpusInUse,
    pendingTasks: usage.pendingTasks,
    runningTasks: usage.runningTasks,
    createTime: timestampFromDate(queue.createTime),
    updateTime: timestampFromDate(queue.updateTime),
  });
}
