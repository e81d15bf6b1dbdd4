import type { Kysely } from "kysely";
import { type CredentialStore, createCredentialStore } from "./credential-store.js";
import { createNodeStore, type NodeStore } from "./node-store.js";
import { createQueueStore, type QueueStore } from "./queue-store.js";
import { createResourceGroupStore, type ResourceGroupStore } from "./resource-group-store.js";
import type { Database } from "./schema.js";
import { createTaskExecutionStore, type TaskExecutionStore } from "./task-execution-store.js";
import { createTaskLogStore, type TaskLogStore } from "./task-log-store.js";
import { createTaskStore, type TaskStore } from "./task-store.js";

/** Every store, over one database. */
export interface Stores {
  nodes: NodeStore;
  queues: QueueStore;
  resourceGroups: ResourceGroupStore;
  tasks: TaskStore;
  logs: TaskLogStore;
  execution: TaskExecutionStore;
  credentials: CredentialStore;
}

/** Options of {@link createStores}. */
export interface StoresOptions {
  /** A node whose last heartbeat is older than this is OFFLINE. */
  nodeOfflineAfterMs: number;
}

/** Creates every store over the database. */
export function createStores(db: Kysely<Database>, options: StoresOptions): Stores {
  return {
    nodes: createNodeStore(db, options),
    queues: createQueueStore(db),
    resourceGroups: createResourceGroupStore(db),
    tasks: createTaskStore(db),
    logs: createTaskLogStore(db),
    execution: createTaskExecutionStore(db, options),
    credentials: createCredentialStore(db),
  };
}
