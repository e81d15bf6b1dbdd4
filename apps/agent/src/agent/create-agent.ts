import type { ConnectError } from "@connectrpc/connect";
import type { SherpaServiceClients } from "@sherpa/sdk";
import { type AgentLogger, silentLogger } from "../agent-logger.js";
import type { GpuInfo } from "../gpu/gpu-info.js";
import { endLeftoverTaskGroups } from "../runner/end-leftover-task-groups.js";
import { waitAtMost } from "../wait-at-most.js";
import { type AgentTasks, createAgentTasks } from "./agent-tasks.js";
import { createHeartbeatGpuMeasure } from "./create-heartbeat-gpu-measure.js";
import { createReconnectBackoff, type ReconnectBackoffOptions } from "./reconnect-backoff.js";
import { type AgentSessions, runAgentSessions } from "./run-agent-sessions.js";
import { createTaskStatusOutbox, type TaskStatusOutbox } from "./task-status-outbox.js";

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
  /**
   * Ends what an earlier agent with the same work directory left running
   * (see endLeftoverTaskGroups), then connects to the server and keeps
   * reconnecting until stopped or refused.
   */
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
  const cancelGraceMs = options.cancelGraceMs ?? 10_000;
  const outbox = createTaskStatusOutbox();
  const tasks = createAgentTasks({
    clients: options.clients,
    nodeName: options.nodeName,
    workDir: options.workDir,
    cancelGraceMs,
    baseEnv: options.baseEnv,
    logger,
    report: (status) => outbox.add(status),
  });
  const stopped = new AbortController();
  let sessions: AgentSessions | undefined;
  let stopping: Promise<void> | undefined;
  return {
    start() {
      if (stopping !== undefined) {
        throw new Error("createAgent: a stopped agent cannot start again");
      }
      sessions ??= runAgentSessions({
        clients: options.clients,
        node: {
          nodeName: options.nodeName,
          labels: options.labels ?? {},
          gpus: options.gpus,
          simulated: options.simulated,
        },
        tasks,
        outbox,
        measureGpus: createHeartbeatGpuMeasure(options.simulated, options.measureGpus, logger),
        backoff: createReconnectBackoff(options.reconnect),
        logger,
        stopped: stopped.signal,
        onRefused: options.onRefused,
        // Before the server can give the GPUs of tasks an earlier agent left running to new ones.
        ready: endLeftoverTaskGroups({
          workDir: options.workDir,
          graceMs: cancelGraceMs,
          logger,
        }).catch((error: unknown) =>
          logger.error({ err: (error as Error).message }, "cannot end tasks left running"),
        ),
      });
    },
    stop() {
      stopping ??= stopAgent({
        stopped,
        tasks,
        outbox,
        sessions,
        closeTimeoutMs: options.sessionCloseTimeoutMs ?? 5_000,
        logger,
      });
      return stopping;
    },
  };
}

/** What stopping an agent winds down. */
interface StopAgentParts {
  stopped: AbortController;
  tasks: AgentTasks;
  outbox: TaskStatusOutbox;
  /** The session loop; undefined when the agent never started. */
  sessions: AgentSessions | undefined;
  closeTimeoutMs: number;
  logger: AgentLogger;
}

/**
 * Stops reconnecting, stops the tasks, gives their statuses time to be sent,
 * then ends the session: cleanly, or cut after `closeTimeoutMs`.
 */
async function stopAgent(parts: StopAgentParts): Promise<void> {
  const { tasks, outbox, sessions, closeTimeoutMs, logger } = parts;
  parts.stopped.abort();
  await tasks.stopAll("the node's agent is shutting down");
  await waitAtMost(outbox.idle(), closeTimeoutMs);
  const current = sessions?.current();
  if (current !== undefined) {
    current.close();
    const cut = setTimeout(() => current.abort(), closeTimeoutMs);
    await current.ended;
    clearTimeout(cut);
  }
  await sessions?.ended;
  const unsent = outbox.pending();
  if (unsent.length > 0) {
    logger.warn(
      { taskIds: unsent.map((report) => report.taskId) },
      "stopped without reporting every task status to the server",
    );
  }
  logger.info({}, "agent stopped");
}
