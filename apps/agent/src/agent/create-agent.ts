import { setTimeout as sleep } from "node:timers/promises";
import { Code, type ConnectError } from "@connectrpc/connect";
import type { SherpaServiceClients } from "@sherpa/sdk";
import { type AgentLogger, silentLogger } from "../agent-logger.js";
import type { GpuInfo } from "../gpu/gpu-info.js";
import { waitAtMost } from "../wait-at-most.js";
import { type AgentSession, openAgentSession } from "./agent-session.js";
import { createAgentTasks } from "./agent-tasks.js";
import { isServerRefusal } from "./is-server-refusal.js";
import { createReconnectBackoff, type ReconnectBackoffOptions } from "./reconnect-backoff.js";
import { createTaskStatusOutbox } from "./task-status-outbox.js";

/** Options of createAgent. */
export interface AgentOptions {
  /** Clients of the Sherpa API; the agent uses `agents` only. */
  clients: Pick<SherpaServiceClients, "agents">;
  /** The node's unique name, usually the host name. */
  nodeName: string;
  /** Labels resource groups select the node by, for example `{ gpu: "h100" }`. */
  labels?: Record<string, string>;
  /** The node's GPUs (see discoverGpus). */
  gpus: GpuInfo[];
  /** True when `gpus` is a simulation rather than found by nvidia-smi. */
  simulated: boolean;
  /** Measures the real GPUs again for each heartbeat; heartbeats carry none without it. */
  measureGpus?: () => Promise<GpuInfo[]>;
  /** The agent's directory; each task runs in `<workDir>/tasks/<task id>`. */
  workDir: string;
  /** Time between SIGTERM and SIGKILL when a task is stopped; 10 000 ms unless set. */
  cancelGraceMs?: number;
  /** Where the agent logs; silent unless set. */
  logger?: AgentLogger;
  /** Delays between attempts to reach the server again. */
  reconnect?: ReconnectBackoffOptions;
  /**
   * The environment tasks' base environment is taken from: only PATH, HOME
   * and the other variables of taskBaseVariables pass, nothing else of it.
   * Pass the agent's own, for example `taskBaseEnvironment(process.env)` read
   * where the configuration is; tasks get none of it unless set.
   */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** On stop(), how long the server has to end the session after the agent ended its side; 5 000 ms unless set. */
  sessionCloseTimeoutMs?: number;
  /**
   * Called once when the server refuses the session with Unauthenticated or
   * PermissionDenied (a credential revoked, or not this node's). The agent
   * does not reconnect after that, as retrying cannot help; running tasks go
   * on until stop().
   */
  onRefused?: (error: ConnectError) => void;
}

/** A node agent: runs the tasks the server assigns, for as long as it is started. */
export interface Agent {
  /** Connects to the server and keeps reconnecting until stopped or refused. */
  start(): void;
  /**
   * Stops reconnecting, cancels running tasks (SIGTERM, then SIGKILL after the
   * grace period) and waits for them, reports their end if still connected,
   * then ends the session. Leaves no process, timer or call behind.
   */
  stop(): Promise<void>;
}

/**
 * Creates a node agent. It talks to the server through one AgentSession call
 * at a time (register, heartbeats, task statuses; assignments and
 * cancellations back) plus one UploadTaskLogs call per task with output. When
 * the session fails, running tasks go on and the agent registers again with
 * their IDs; statuses of tasks that ended meanwhile are sent after that.
 */
export function createAgent(options: AgentOptions): Agent {
  const logger = options.logger ?? silentLogger;
  const outbox = createTaskStatusOutbox();
  const tasks = createAgentTasks({
    clients: options.clients,
    nodeName: options.nodeName,
    workDir: options.workDir,
    cancelGraceMs: options.cancelGraceMs ?? 10_000,
    baseEnv: options.baseEnv,
    logger,
    report: (status) => outbox.add(status),
  });
  const backoff = createReconnectBackoff(options.reconnect);
  const stopped = new AbortController();
  const closeTimeoutMs = options.sessionCloseTimeoutMs ?? 5_000;
  let session: AgentSession | undefined;
  let sessions: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let measureFailing = false;

  const measureGpus = async (): Promise<GpuInfo[]> => {
    if (options.simulated || options.measureGpus === undefined) {
      return [];
    }
    try {
      const gpus = await options.measureGpus();
      measureFailing = false;
      return gpus;
    } catch (error) {
      if (!measureFailing) {
        logger.warn(
          { err: (error as Error).message },
          "cannot measure GPUs; heartbeats go without",
        );
      }
      measureFailing = true;
      return [];
    }
  };

  const runSessions = async () => {
    while (!stopped.signal.aborted) {
      const current = openAgentSession({
        clients: options.clients,
        registration: {
          nodeName: options.nodeName,
          labels: options.labels ?? {},
          gpus: options.gpus,
          simulated: options.simulated,
          // Tasks whose end is not reported yet still count as running here, so the
          // server waits for their statuses instead of failing them.
          runningTaskIds: [...new Set([...tasks.runningTaskIds(), ...outbox.endedTaskIds()])],
        },
        outbox,
        measureGpus,
        onAssignment: (assignment) => tasks.start(assignment),
        onCancellation: (cancellation) => tasks.cancel(cancellation),
        logger,
      });
      session = current;
      const { registered, error } = await current.ended;
      session = undefined;
      if (stopped.signal.aborted) {
        return;
      }
      if (error !== undefined && isServerRefusal(error)) {
        logger.error(
          { code: Code[error.code], err: error.rawMessage, runningTaskIds: tasks.runningTaskIds() },
          "the server refused the agent's session; not reconnecting",
        );
        options.onRefused?.(error);
        return;
      }
      if (registered) {
        backoff.reset();
      }
      const delayMs = backoff.nextDelayMs();
      logger.warn(
        { err: error?.message, delayMs, runningTaskIds: tasks.runningTaskIds() },
        registered
          ? "session with the server ended; reconnecting"
          : "cannot reach the server; retrying",
      );
      await sleep(delayMs, undefined, { signal: stopped.signal }).catch(() => undefined);
    }
  };

  const stop = async () => {
    stopped.abort();
    await tasks.stopAll("the node's agent is shutting down");
    await waitAtMost(outbox.idle(), closeTimeoutMs);
    const current = session;
    if (current !== undefined) {
      current.close();
      const cut = setTimeout(() => current.abort(), closeTimeoutMs);
      await current.ended;
      clearTimeout(cut);
    }
    await sessions;
    const unsent = outbox.pending();
    if (unsent.length > 0) {
      logger.warn(
        { taskIds: unsent.map((report) => report.taskId) },
        "stopped without reporting every task status to the server",
      );
    }
    logger.info({}, "agent stopped");
  };

  return {
    start() {
      if (stopping !== undefined) {
        throw new Error("createAgent: a stopped agent cannot start again");
      }
      sessions ??= runSessions();
    },
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}
