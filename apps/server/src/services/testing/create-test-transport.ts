import { type Client, createClient, createRouterTransport } from "@connectrpc/connect";
import {
  AgentService,
  NodeService,
  QueueService,
  ResourceGroupService,
  TaskService,
} from "@sherpa/proto";
import { type AgentSessions, createAgentSessions } from "../../agents/agent-sessions.js";
import { createTaskEventHub, type TaskEventHub } from "../../events/task-event-hub.js";
import { createScheduler, type Scheduler } from "../../scheduling/scheduler.js";
import { createStores, type Stores } from "../../storage/create-stores.js";
import { openDatabase } from "../../storage/database.js";
import { createDomainErrorInterceptor } from "../domain-error-interceptor.js";
import { createSherpaRoutes } from "../sherpa-routes.js";

/** A clock the test moves by hand. */
export interface TestClock {
  now(): Date;
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void;
}

/** One error the interceptor logged. */
export interface LoggedError {
  details: object;
  message: string;
}

/** Options of {@link createTestTransport}. */
export interface TestTransportOptions {
  /** Replaces the stores the services use, for example with one that fails. */
  wrapStores?: (stores: Stores) => Stores;
}

/** Clients of every Sherpa service over an in-memory server, and what backs it. */
export interface TestTransport {
  tasks: Client<typeof TaskService>;
  queues: Client<typeof QueueService>;
  resourceGroups: Client<typeof ResourceGroupService>;
  nodes: Client<typeof NodeService>;
  agents: Client<typeof AgentService>;
  events: TaskEventHub;
  sessions: AgentSessions;
  /** The scheduler, not started: passes run when the services ask for one. */
  scheduler: Scheduler;
  /** The stores behind the services; nodes exist only through `stores.nodes.registerNode`. */
  stores: Stores;
  clock: TestClock;
  /** What the domain error interceptor logged, in order. */
  loggedErrors: LoggedError[];
  /** Destroys the database. */
  close(): Promise<void>;
}

/** Where the test clock starts. */
export const testStartTime = new Date("2025-01-01T00:00:00Z");

/** Nodes without a heartbeat for this long are OFFLINE in tests, as by default in production. */
export const testNodeOfflineAfterMs = 30_000;

/**
 * Wires the Sherpa services as `buildServer` does (fresh in-memory database,
 * stores, routes, domain error interceptor) behind `createRouterTransport`, so
 * that tests call them through real clients without a network.
 */
export async function createTestTransport(
  options: TestTransportOptions = {},
): Promise<TestTransport> {
  const db = await openDatabase({ dataDir: ":memory:" });
  const stores = createStores(db, { nodeOfflineAfterMs: testNodeOfflineAfterMs });
  let time = testStartTime.getTime();
  const clock: TestClock = {
    now: () => new Date(time),
    advance: (ms) => {
      time += ms;
    },
  };
  const loggedErrors: LoggedError[] = [];
  const logger = {
    error: (details: object, message: string) => loggedErrors.push({ details, message }),
  };
  const events = createTaskEventHub();
  const sessions = createAgentSessions();
  const scheduler = createScheduler({
    execution: stores.execution,
    sessions,
    events,
    now: clock.now,
    logger,
    intervalMs: 60_000,
  });
  const transport = createRouterTransport(
    createSherpaRoutes({
      stores: options.wrapStores?.(stores) ?? stores,
      events,
      sessions,
      scheduler,
      now: clock.now,
      heartbeatIntervalMs: 1000,
    }),
    { router: { interceptors: [createDomainErrorInterceptor(logger)] } },
  );
  return {
    tasks: createClient(TaskService, transport),
    queues: createClient(QueueService, transport),
    resourceGroups: createClient(ResourceGroupService, transport),
    nodes: createClient(NodeService, transport),
    agents: createClient(AgentService, transport),
    events,
    sessions,
    scheduler,
    stores,
    clock,
    loggedErrors,
    close: async () => {
      sessions.closeAll();
      await scheduler.stop();
      await db.destroy();
    },
  };
}
