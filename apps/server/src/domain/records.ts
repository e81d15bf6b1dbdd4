/** The domain's view of Sherpa's entities, independent of protobuf and of SQL. */

/** Where a task is in its life. */
export type TaskState = "pending" | "running" | "succeeded" | "failed" | "cancelled" | "timed-out";

/** States a task never leaves. */
export const finishedTaskStates: readonly TaskState[] = [
  "succeeded",
  "failed",
  "cancelled",
  "timed-out",
];

/** Whether a queue accepts new tasks. */
export type QueueState = "open" | "closed";

/** Whether the scheduler may use a node; derived from cordoning and heartbeats. */
export type NodeState = "ready" | "cordoned" | "offline";

/** Whether a GPU can be allocated. */
export type GpuState = "free" | "allocated" | "unhealthy";

/** A named pool of nodes selected by labels. */
export interface ResourceGroup {
  name: string;
  description: string;
  nodeSelector: Record<string, string>;
  requestId: string;
  createTime: Date;
  updateTime: Date;
}

/** A queue as stored. */
export interface Queue {
  name: string;
  description: string;
  resourceGroups: string[];
  /** Most GPUs held at once; 0 means no limit. */
  gpuQuota: number;
  priority: number;
  state: QueueState;
  requestId: string;
  createTime: Date;
  updateTime: Date;
}

/** What a queue's tasks use now. */
export interface QueueUsage {
  gpusInUse: number;
  pendingTasks: number;
  runningTasks: number;
}

/** A machine running an agent, with its GPUs. */
export interface Node {
  name: string;
  labels: Record<string, string>;
  state: NodeState;
  gpus: Gpu[];
  lastHeartbeatTime: Date;
  simulated: boolean;
  createTime: Date;
}

/** One GPU of a node. */
export interface Gpu {
  uuid: string;
  index: number;
  model: string;
  memoryBytes: number;
  state: GpuState;
  taskId: string;
  utilizationPercent: number | undefined;
}

/** A task as stored. */
export interface Task {
  id: string;
  queue: string;
  name: string;
  argv: string[];
  env: Record<string, string>;
  gpuCount: number;
  gpuModel: string;
  timeoutMs: number | undefined;
  labels: Record<string, string>;
  requestId: string;
  state: TaskState;
  stateReason: string;
  exitCode: number | undefined;
  nodeName: string;
  gpuUuids: string[];
  createTime: Date;
  startTime: Date | undefined;
  endTime: Date | undefined;
  /** Subject of the principal that submitted it; "" for tasks from before access control. */
  owner: string;
}

/** Where a log line was written. */
export type LogStream = "stdout" | "stderr";

/** One line of a task's output. */
export interface LogLine {
  /** Position in the task's log, from 0. */
  offset: number;
  stream: LogStream;
  text: string;
  time: Date;
}

/** How a task ended, as the agent running it reports. */
export interface TaskOutcome {
  taskId: string;
  nodeName: string;
  state: Extract<TaskState, "succeeded" | "failed" | "cancelled" | "timed-out">;
  exitCode: number | undefined;
  reason: string;
}
