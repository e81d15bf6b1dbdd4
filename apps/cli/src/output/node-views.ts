import { GpuState, type Node, NodeState } from "@sherpa/proto";
import { enumName } from "./enum-name.js";
import { formatPairs } from "./format-pairs.js";
import { formatAgeSince } from "./format-time.js";
import { renderTable } from "./render-table.js";

const bytesPerGiB = 2 ** 30;

/** Renders nodes as a table: name, state, labels, free and total GPUs, whether simulated, last heartbeat. */
export function renderNodeTable(nodes: readonly Node[], nowMs: number): string {
  return renderTable(
    ["NAME", "STATE", "LABELS", "GPUS", "SIMULATED", "HEARTBEAT"],
    nodes.map((node) => [
      node.name,
      enumName(NodeState, node.state),
      formatPairs(node.labels),
      `${node.gpus.filter((gpu) => gpu.state === GpuState.FREE).length}/${node.gpus.length}`,
      node.simulated ? "yes" : "no",
      node.lastHeartbeatTime === undefined
        ? ""
        : `${formatAgeSince(node.lastHeartbeatTime, nowMs)} ago`,
    ]),
  );
}

/** Renders the GPUs of nodes as a table: node, index, model, memory, state, task and utilisation. */
export function renderGpuTable(nodes: readonly Node[]): string {
  return renderTable(
    ["NODE", "INDEX", "MODEL", "MEMORY", "STATE", "TASK", "UTIL"],
    nodes.flatMap((node) =>
      node.gpus.map((gpu) => [
        node.name,
        String(gpu.index),
        gpu.model,
        `${Math.round((Number(gpu.memoryBytes) / bytesPerGiB) * 10) / 10} GiB`,
        enumName(GpuState, gpu.state),
        gpu.taskId,
        gpu.utilizationPercent === undefined ? "" : `${gpu.utilizationPercent}%`,
      ]),
    ),
  );
}
