import type { ConnectRouter } from "@connectrpc/connect";
import {
  AccessService,
  AgentService,
  NodeService,
  QueueService,
  ResourceGroupService,
  TaskService,
} from "@sherpa/proto";
import type { AgentSessions } from "../agents/agent-sessions.js";
import type { TaskEventHub } from "../events/task-event-hub.js";
import type { Scheduler } from "../scheduling/scheduler.js";
import type { Stores } from "../storage/create-stores.js";
import { createAccessService } from "./access-service.js";
import { createAgentService } from "./agent-service.js";
import { createNodeService } from "./node-service.js";
import { createQueueService } from "./queue-service.js";
import { createResourceGroupService } from "./resource-group-service.js";
import { createTaskService } from "./task-service.js";

/** Every sherpa.v1 service the server implements. */
export const sherpaServices = [
  AccessService,
  AgentService,
  NodeService,
  QueueService,
  ResourceGroupService,
  TaskService,
];

/** What the Sherpa services need. */
export interface SherpaRoutesDeps {
  stores: Stores;
  events: TaskEventHub;
  sessions: AgentSessions;
  scheduler: Scheduler;
  /** The current time; tests pass a fixed clock. */
  now: () => Date;
  /** How often agents are told to heartbeat. */
  heartbeatIntervalMs: number;
  /** The embedded agent's node name, which no enrolled node may take; "" when there is none. */
  embeddedNodeName: string;
}

/** Registers every sherpa.v1 service on a Connect router. */
export function createSherpaRoutes(deps: SherpaRoutesDeps) {
  const { stores, events, sessions, scheduler, now } = deps;
  return (router: ConnectRouter) => {
    router.service(
      AccessService,
      createAccessService({ credentials: stores.credentials, sessions, now }),
    );
    router.service(
      AgentService,
      createAgentService({
        nodes: stores.nodes,
        execution: stores.execution,
        logs: stores.logs,
        tasks: stores.tasks,
        sessions,
        events,
        scheduler,
        now,
        heartbeatIntervalMs: deps.heartbeatIntervalMs,
        credentials: stores.credentials,
        embeddedNodeName: deps.embeddedNodeName,
      }),
    );
    router.service(NodeService, createNodeService({ nodes: stores.nodes, scheduler, now }));
    router.service(QueueService, createQueueService({ queues: stores.queues, scheduler, now }));
    router.service(
      ResourceGroupService,
      createResourceGroupService({ resourceGroups: stores.resourceGroups, scheduler, now }),
    );
    router.service(
      TaskService,
      createTaskService({
        tasks: stores.tasks,
        logs: stores.logs,
        execution: stores.execution,
        events,
        sessions,
        scheduler,
        now,
      }),
    );
  };
}
