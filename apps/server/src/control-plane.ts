import type { ConnectRouter } from "@connectrpc/connect";
import type { Kysely } from "kysely";
import { type AgentSessions, createAgentSessions } from "./agents/agent-sessions.js";
import { createTaskEventHub, type TaskEventHub } from "./events/task-event-hub.js";
import {
  createNodeLivenessMonitor,
  type NodeLivenessMonitor,
} from "./scheduling/node-liveness-monitor.js";
import { createScheduler, type Scheduler } from "./scheduling/scheduler.js";
import { createSherpaRoutes } from "./services/sherpa-routes.js";
import { createStores, type Stores } from "./storage/create-stores.js";
import type { Database } from "./storage/schema.js";

/** Options of {@link createControlPlane}. */
export interface ControlPlaneOptions {
  nodeOfflineAfterMs: number;
  heartbeatIntervalMs: number;
  /** The embedded agent's node name, which no enrolled node may take; "" when there is none. */
  embeddedNodeName: string;
  now: () => Date;
  logger: {
    warn(details: object, message: string): void;
    error(details: object, message: string): void;
  };
}

/**
 * Sherpa's domain at run time: the stores, the event hub, the connected agents,
 * the scheduler and the node liveness monitor, and the Connect routes over
 * them. It owns the long-running pieces: `start()` starts them, `stop()` ends
 * agent sessions and timers (storage is closed by its own owner afterwards).
 */
export interface ControlPlane {
  stores: Stores;
  events: TaskEventHub;
  sessions: AgentSessions;
  scheduler: Scheduler;
  routes: (router: ConnectRouter) => void;
  start(): void;
  stop(): Promise<void>;
}

/** Creates the control plane over an open database. */
export function createControlPlane(
  db: Kysely<Database>,
  options: ControlPlaneOptions,
): ControlPlane {
  const stores = createStores(db, { nodeOfflineAfterMs: options.nodeOfflineAfterMs });
  const events = createTaskEventHub();
  const sessions = createAgentSessions();
  const scheduler = createScheduler({
    execution: stores.execution,
    sessions,
    events,
    now: options.now,
    logger: options.logger,
    intervalMs: 5_000,
  });
  const monitor: NodeLivenessMonitor = createNodeLivenessMonitor({
    execution: stores.execution,
    events,
    scheduler,
    now: options.now,
    logger: options.logger,
    intervalMs: Math.max(250, Math.floor(options.nodeOfflineAfterMs / 4)),
  });
  return {
    stores,
    events,
    sessions,
    scheduler,
    routes: createSherpaRoutes({
      stores,
      events,
      sessions,
      scheduler,
      now: options.now,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      embeddedNodeName: options.embeddedNodeName,
    }),
    start() {
      scheduler.start();
      monitor.start();
    },
    async stop() {
      sessions.closeAll();
      await monitor.stop();
      await scheduler.stop();
    },
  };
}
