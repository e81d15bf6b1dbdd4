import type { Kysely } from "kysely";
import { createNodeStore, type NodeStore, type NodeStoreOptions } from "./node-store.js";
import { createQueueStore, type QueueStore } from "./queue-store.js";
import { createResourceGroupStore, type ResourceGroupStore } from "./resource-group-store.js";
import type { Database } from "./schema.js";
import { createTaskStore, type TaskStore } from "./task-store.js";

/** Every store, over one database. */
export interface Stores {
  nodes: NodeStore;
  queues: QueueStore;
  resourceGroups: ResourceGroupStore;
  tasks: TaskStore;
}

/** Creates every store over the database. */
export function createStores(db: Kysely<Database>, options: NodeStoreOptions): Stores {
  return {
    nodes: createNodeStore(db, options),
    queues: createQueueStore(db),
    resourceGroups: createResourceGroupStore(db),
    tasks: createTaskStore(db),
  };
}
