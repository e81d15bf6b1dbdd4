import type { Generated } from "kysely";

/**
 * Tables as Kysely sees them. Times are milliseconds since the Unix epoch;
 * lists and maps are JSON text, which both SQLite and PostgreSQL store as is.
 */
export interface Database {
  resource_groups: ResourceGroupTable;
  queues: QueueTable;
  nodes: NodeTable;
  node_labels: LabelTable<"node_name">;
  gpus: GpuTable;
  tasks: TaskTable;
  task_labels: LabelTable<"task_id">;
  task_logs: TaskLogTable;
  credentials: CredentialTable;
}

/**
 * A secret token: an API token (its name is who it acts for), a join token, or
 * a node's credential (its name is the node's). Only a hash of the secret is kept.
 */
export interface CredentialTable {
  id: string;
  kind: string;
  name: string;
  role: string | null;
  queues: string;
  labels: string;
  secret_hash: string;
  created_by: string;
  create_time: number;
  expire_time: number | null;
  /** When it was revoked, or a join token used. */
  revoke_time: number | null;
}

/** One line of a task's output. */
export interface TaskLogTable {
  task_id: string;
  offset: number;
  stream: string;
  text: string;
  time: number;
}

/** A named pool of nodes chosen by labels. */
export interface ResourceGroupTable {
  name: string;
  description: string;
  node_selector: string;
  request_id: string | null;
  create_time: number;
  update_time: number;
}

/** A queue; usage is computed from tasks, never stored. */
export interface QueueTable {
  name: string;
  description: string;
  resource_groups: string;
  gpu_quota: number;
  priority: number;
  state: string;
  request_id: string | null;
  create_time: number;
  update_time: number;
}

/** A machine running an agent. Its state is derived from `cordoned` and the heartbeat. */
export interface NodeTable {
  name: string;
  labels: string;
  cordoned: number;
  simulated: number;
  last_heartbeat_time: number;
  create_time: number;
}

/** One label of an owner, kept in rows so that label filters are plain SQL on any engine. */
export type LabelTable<Owner extends string> = { [K in Owner]: string } & {
  key: string;
  value: string;
};

/** A GPU of a node. */
export interface GpuTable {
  uuid: string;
  node_name: string;
  gpu_index: number;
  model: string;
  memory_bytes: number;
  unhealthy: number;
  task_id: string | null;
  utilization_percent: number | null;
  memory_used_bytes: number | null;
}

/** A task; `seq` gives a stable, insertion-ordered key for pagination. */
export interface TaskTable {
  seq: Generated<number>;
  id: string;
  queue: string;
  name: string;
  argv: string;
  env: string;
  gpu_count: number;
  gpu_model: string;
  timeout_ms: number | null;
  labels: string;
  request_id: string | null;
  state: string;
  state_reason: string;
  exit_code: number | null;
  node_name: string;
  gpu_uuids: string;
  create_time: number;
  start_time: number | null;
  end_time: number | null;
  /** Set while a running task is being cancelled: the reason to record once it has stopped. */
  cancel_reason: string | null;
  /** Subject of the principal that submitted the task; "" for tasks from before access control. */
  owner: string;
}
