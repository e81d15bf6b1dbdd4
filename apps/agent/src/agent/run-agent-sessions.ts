import { setTimeout as sleep } from "node:timers/promises";
import { Code, type ConnectError } from "@connectrpc/connect";
import type { SherpaServiceClients } from "@sherpa/sdk";
import type { AgentLogger } from "../agent-logger.js";
import type { GpuInfo } from "../gpu/gpu-info.js";
import { type AgentSession, openAgentSession } from "./agent-session.js";
import type { AgentTasks } from "./agent-tasks.js";
import { isServerRefusal } from "./is-server-refusal.js";
import type { ReconnectBackoff } from "./reconnect-backoff.js";
import type { TaskStatusOutbox } from "./task-status-outbox.js";

/** What the session loop needs. */
export interface AgentSessionsOptions {
  clients: Pick<SherpaServiceClients, "agents">;
  /** What each registration says of the node; its running tasks are added at each one. */
  node: { nodeName: string; labels: Record<string, string>; gpus: GpuInfo[]; simulated: boolean };
  tasks: AgentTasks;
  outbox: TaskStatusOutbox;
  measureGpus: () => Promise<GpuInfo[]>;
  backoff: ReconnectBackoff;
  logger: AgentLogger;
  /** Ends the loop: no reconnecting after it. */
  stopped: AbortSignal;
  /** Called when the server refuses the session; the loop ends after it. */
  onRefused: ((error: ConnectError) => void) | undefined;
  /** Settles when the agent may register: the first session opens after it. */
  ready: Promise<void>;
}

/** The session loop, while it runs. */
export interface AgentSessions {
  /** The session open now, if any. */
  current(): AgentSession | undefined;
  /** Settles when the loop has ended: stopped, or refused by the server. */
  readonly ended: Promise<void>;
}

/**
 * Once `ready`, opens one AgentSession after another until `stopped` aborts
 * or the server refuses the agent, waiting with backoff between them; the
 * backoff starts over after a session the server accepted.
 */
export function runAgentSessions(options: AgentSessionsOptions): AgentSessions {
  let session: AgentSession | undefined;
  const loop = async () => {
    const { tasks, outbox, logger, backoff, stopped } = options;
    await options.ready;
    while (!stopped.aborted) {
      const current = openAgentSession({
        clients: options.clients,
        registration: {
          ...options.node,
          // Tasks whose end is not reported yet still count as running here, so the
          // server waits for their statuses instead of failing them.
          runningTaskIds: [...new Set([...tasks.runningTaskIds(), ...outbox.endedTaskIds()])],
        },
        outbox,
        measureGpus: options.measureGpus,
        onAssignment: (assignment) => tasks.start(assignment),
        onCancellation: (cancellation) => tasks.cancel(cancellation),
        logger,
      });
      session = current;
      const { registered, error } = await current.ended;
      session = undefined;
      if (stopped.aborted) {
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
      await sleep(delayMs, undefined, { signal: stopped }).catch(() => undefined);
    }
  };
  return { current: () => session, ended: loop() };
}
