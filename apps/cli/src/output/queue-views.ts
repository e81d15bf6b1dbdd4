import { type Queue, QueueState } from "@sherpa/proto";
import { enumName } from "./enum-name.js";
import { formatTimestamp } from "./format-time.js";
import { renderFields } from "./render-fields.js";
import { renderTable } from "./render-table.js";

/** Renders queues as a table: name, state, priority, GPUs in use of the quota, task counts, resource groups. */
export function renderQueueTable(queues: readonly Queue[]): string {
  return renderTable(
    ["NAME", "STATE", "PRIORITY", "GPUS", "PENDING", "RUNNING", "RESOURCE GROUPS"],
    queues.map((queue) => [
      queue.name,
      queueStateName(queue.state),
      String(queue.priority),
      gpuUsage(queue),
      String(queue.pendingTasks),
      String(queue.runningTasks),
      queue.resourceGroups.join(","),
    ]),
  );
}

/** Renders every detail of one queue, one labelled line each. */
export function renderQueueFields(queue: Queue): string {
  return renderFields([
    ["Name", queue.name],
    ["Description", queue.description],
    ["State", queueStateName(queue.state)],
    ["Priority", String(queue.priority)],
    ["GPUs in use", gpuUsage(queue)],
    ["Pending tasks", String(queue.pendingTasks)],
    ["Running tasks", String(queue.runningTasks)],
    ["Resource groups", queue.resourceGroups.join(", ") || "none (tasks cannot be placed)"],
    ["Created", formatTimestamp(queue.createTime)],
    ["Updated", formatTimestamp(queue.updateTime)],
  ]);
}

// The API treats an unset state as open.
function queueStateName(state: QueueState): string {
  return enumName(QueueState, state === QueueState.UNSPECIFIED ? QueueState.OPEN : state);
}

function gpuUsage(queue: Queue): string {
  return `${queue.gpusInUse}/${queue.gpuQuota === 0 ? "unlimited" : queue.gpuQuota}`;
}
