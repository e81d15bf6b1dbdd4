import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  GpuState as GpuStateMessage,
  type Node as NodeMessage,
  NodeSchema,
  NodeState as NodeStateMessage,
} from "@sherpa/proto";
import type { GpuState, Node, NodeState } from "../domain/records.js";

const nodeStateToMessage: Record<NodeState, NodeStateMessage> = {
  ready: NodeStateMessage.READY,
  cordoned: NodeStateMessage.CORDONED,
  offline: NodeStateMessage.OFFLINE,
};

const gpuStateToMessage: Record<GpuState, GpuStateMessage> = {
  free: GpuStateMessage.FREE,
  allocated: GpuStateMessage.ALLOCATED,
  unhealthy: GpuStateMessage.UNHEALTHY,
};

/** The domain node state of a NodeState value; undefined for UNSPECIFIED or unknown values. */
export function nodeStateFromMessage(state: NodeStateMessage): NodeState | undefined {
  const entry = Object.entries(nodeStateToMessage).find(([, value]) => value === state);
  return entry?.[0] as NodeState | undefined;
}

/** The API message of a node and its GPUs. */
export function toNodeMessage(node: Node): NodeMessage {
  return create(NodeSchema, {
    name: node.name,
    labels: node.labels,
    state: nodeStateToMessage[node.state],
    gpus: node.gpus.map((gpu) => ({
      uuid: gpu.uuid,
      index: gpu.index,
      model: gpu.model,
      memoryBytes: BigInt(gpu.memoryBytes),
      state: gpuStateToMessage[gpu.state],
      taskId: gpu.taskId,
      utilizationPercent: gpu.utilizationPercent,
    })),
    lastHeartbeatTime: timestampFromDate(node.lastHeartbeatTime),
    simulated: node.simulated,
    createTime: timestampFromDate(node.createTime),
  });
}
