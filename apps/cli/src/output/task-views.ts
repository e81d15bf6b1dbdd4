import { type Task, TaskState } from "@sherpa/proto";
import { enumName } from "./enum-name.js";
import { formatPairs } from "./format-pairs.js";
import { formatAgeSince, formatDuration, formatTimestamp } from "./format-time.js";
import { quoteForShell } from "./quote-for-shell.js";
import { renderFields } from "./render-fields.js";
import { renderTable } from "./render-table.js";

/** Renders tasks as a table: ID, name, queue, owner, state, GPUs, node, exit code, age and reason. */
export function renderTaskTable(tasks: readonly Task[], nowMs: number): string {
  return renderTable(
    ["ID", "NAME", "QUEUE", "OWNER", "STATE", "GPUS", "NODE", "EXIT", "AGE", "REASON"],
    tasks.map((task) => [
      task.id,
      task.name,
      task.queue,
      task.owner,
      enumName(TaskState, task.state),
      String(task.gpuCount),
      task.nodeName,
      task.exitCode === undefined ? "" : String(task.exitCode),
      formatAgeSince(task.createTime, nowMs),
      task.stateReason,
    ]),
  );
}

/** Renders every detail of one task, one labelled line each. */
export function renderTaskFields(task: Task, nowMs: number): string {
  const gpus = task.gpuCount === 0 ? "none" : `${task.gpuCount} x ${task.gpuModel || "any model"}`;
  return renderFields([
    ["ID", task.id],
    ["Name", task.name],
    ["Queue", task.queue],
    ["Owner", task.owner],
    ["State", enumName(TaskState, task.state)],
    ["Reason", task.stateReason],
    ["Exit code", task.exitCode === undefined ? undefined : String(task.exitCode)],
    ["Command", task.argv.map(quoteForShell).join(" ")],
    ["GPUs", gpus],
    ["GPU UUIDs", task.gpuUuids.join(", ")],
    ["Node", task.nodeName],
    ["Timeout", formatDuration(task.timeout)],
    ["Labels", formatPairs(task.labels)],
    ["Env", formatPairs(task.envValuesHidden ? hideValues(task.env) : task.env)],
    ["Request ID", task.requestId],
    ["Created", withAge(formatTimestamp(task.createTime), formatAgeSince(task.createTime, nowMs))],
    ["Started", formatTimestamp(task.startTime)],
    ["Ended", formatTimestamp(task.endTime)],
  ]);
}

// The server sends the names with empty values to callers who may not see them.
function hideValues(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(env).map((name) => [name, "(hidden)"]));
}

function withAge(timestamp: string, age: string): string {
  return timestamp && `${timestamp} (${age} ago)`;
}
