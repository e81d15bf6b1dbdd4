import {
  type Client,
  createClient,
  createRouterTransport,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import {
  AccessService,
  AgentService,
  NodeService,
  QueueService,
  ResourceGroupService,
  TaskService,
} from "@sherpa/proto";
import { requestIdKey } from "@sherpa/server-kit";
import type { AuditEntry } from "../../access/audit-log.js";
import { createAuthorizationInterceptor } from "../../access/authorization-interceptor.js";
import { createNodePrincipal, createPrincipal, type Principal } from "../../access/principal.js";
import { principalKey } from "../../access/principal-context.js";
import { rpcPolicies } from "../../access/rpc-policies.js";
import { type AgentSessions, createAgentSessions } from "../../agents/agent-sessions.js";
import type { Role } from "../../domain/credential.js";
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

/** Clients of every Sherpa service, calling as one principal. */
export interface TestClients {
  access: Client<typeof AccessService>;
  tasks: Client<typeof TaskService>;
  queues: Client<typeof QueueService>;
  resourceGroups: Client<typeof ResourceGroupService>;
  nodes: Client<typeof NodeService>;
}

/** Clients of every Sherpa service over an in-memory server, and what backs it. */
export interface TestTransport extends TestClients {
  /** Clients calling as another principal (the others call as an admin, "test-admin"). */
  as(principal: Principal): TestClients;
  /** An AgentService client calling as the enrolled agent of a node, or as a principal. */
  agentsAs(caller: string | Principal): Client<typeof AgentService>;
  /** Every audit line written, in order. */
  audited: AuditEntry[];
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

/** A user principal with a role and queue grants, as a token of that name would give. */
export function testUser(
  subject: string,
  role: Role | undefined,
  queues: string[] = [],
): Principal {
  return createPrincipal({
    id: `test-${subject}`,
    kind: "token",
    subject,
    role,
    queues,
    nodeName: "",
    labels: {},
    expireTime: undefined,
  });
}

/** The agent principal of a node. */
export function testNode(nodeName: string): Principal {
  return createNodePrincipal(`test-node-${nodeName}`, "node", nodeName);
}

const principalHeader = "x-test-principal";

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
  const principals = new Map<string, Principal>();
  const audited: AuditEntry[] = [];
  // Stands in for the authentication hook: the caller is named by a header only tests send.
  const authenticateByHeader: Interceptor = (next) => (request) => {
    const key = request.header.get(principalHeader) ?? "";
    request.contextValues.set(principalKey, principals.get(key));
    request.contextValues.set(requestIdKey, request.header.get("x-request-id") ?? "");
    return next(request);
  };
  const transport = createRouterTransport(
    createSherpaRoutes({
      stores: options.wrapStores?.(stores) ?? stores,
      events,
      sessions,
      scheduler,
      now: clock.now,
      heartbeatIntervalMs: 1000,
      embeddedNodeName: "",
    }),
    {
      router: {
        interceptors: [
          authenticateByHeader,
          createAuthorizationInterceptor({
            policies: rpcPolicies,
            audit: { record: (entry) => audited.push(entry), close: () => undefined },
          }),
          createDomainErrorInterceptor(logger),
        ],
      },
    },
  );
  const transportAs = (principal: Principal): Transport => {
    principals.set(principal.id, principal);
    return withHeader(transport, principalHeader, principal.id);
  };
  const as = (principal: Principal): TestClients => {
    const callerTransport = transportAs(principal);
    return {
      access: createClient(AccessService, callerTransport),
      tasks: createClient(TaskService, callerTransport),
      queues: createClient(QueueService, callerTransport),
      resourceGroups: createClient(ResourceGroupService, callerTransport),
      nodes: createClient(NodeService, callerTransport),
    };
  };
  return {
    ...as(testUser("test-admin", "admin")),
    as,
    agentsAs: (caller) =>
      createClient(
        AgentService,
        transportAs(typeof caller === "string" ? testNode(caller) : caller),
      ),
    audited,
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

/** A transport sending one more header on every call. */
function withHeader(transport: Transport, name: string, value: string): Transport {
  const headers = (init: ConstructorParameters<typeof Headers>[0]) => {
    const merged = new Headers(init);
    merged.set(name, value);
    return merged;
  };
  return {
    unary: (method, signal, timeoutMs, header, input, contextValues) =>
      transport.unary(method, signal, timeoutMs, headers(header), input, contextValues),
    stream: (method, signal, timeoutMs, header, input, contextValues) =>
      transport.stream(method, signal, timeoutMs, headers(header), input, contextValues),
  };
}
