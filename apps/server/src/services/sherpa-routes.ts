import type { ConnectRouter } from "@connectrpc/connect";
import { NodeService, QueueService, ResourceGroupService, TaskService } from "@sherpa/proto";
import type { Stores } from "../storage/create-stores.js";
import { createNodeService } from "./node-service.js";
import { createQueueService } from "./queue-service.js";
import { createResourceGroupService } from "./resource-group-service.js";
import { createTaskService } from "./task-service.js";

/** Every sherpa.v1 service the server implements. */
export const sherpaServices = [NodeService, QueueService, ResourceGroupService, TaskService];

/** What the Sherpa services need. */
export interface SherpaRoutesDeps {
  stores: Stores;
  /** The current time; tests pass a fixed clock. */
  now: () => Date;
}

/** Registers every sherpa.v1 service on a Connect router. */
export function createSherpaRoutes({ stores, now }: SherpaRoutesDeps) {
  return (router: ConnectRouter) => {
    router.service(NodeService, createNodeService({ nodes: stores.nodes, now }));
    router.service(QueueService, createQueueService({ queues: stores.queues, now }));
    router.service(
      ResourceGroupService,
      createResourceGroupService({ resourceGroups: stores.resourceGroups, now }),
    );
    router.service(TaskService, createTaskService({ tasks: stores.tasks, now }));
  };
}
