import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { ConnectError } from "@connectrpc/connect";
import { createAsyncQueue } from "@sherpa/kit";
import type {
  AgentSessionRequestSchema,
  RegisterNodeSchema,
  TaskAssignment,
  TaskCancellation,
} from "@sherpa/proto";
import type { SherpaServiceClients } from "@sherpa/sdk";
import type { AgentLogger } from "../agent-logger.js";
import type { GpuInfo } from "../gpu/gpu-info.js";
import type { TaskStatusOutbox, TaskStatusReportInit } from "./task-status-outbox.js";

type AgentSessionRequestInit = MessageInitShape<typeof AgentSessionRequestSchema>;

/** Options of openAgentSession. */
export interface AgentSessionOptions {
  clients: Pick<SherpaServiceClients, "agents">;
  /** The first message of the session. */
  registration: MessageInitShape<typeof RegisterNodeSchema>;
  /** Attached once the server has accepted the registration, detached when the session ends. */
  outbox: TaskStatusOutbox;
  /** GPU measurements for a heartbeat; empty when there are none. */
  measureGpus: () => Promise<GpuInfo[]>;
  onAssignment: (assignment: TaskAssignment) => void;
  onCancellation: (cancellation: TaskCancellation) => void;
  logger: AgentLogger;
}

/** How a session ended. */
export interface AgentSessionEnd {
  /** Whether the server had accepted the registration. */
  registered: boolean;
  /** Why it ended, when it failed; undefined when the server ended it. */
  error?: ConnectError;
}

/** One AgentSession call, from registration to its end. */
export interface AgentSession {
  /** Settles when the session has ended and its heartbeat has stopped. */
  readonly ended: Promise<AgentSessionEnd>;
  /** Ends the agent's side cleanly; the server is expected to end its side in turn. */
  close(): void;
  /** Cuts the call. */
  abort(): void;
}

/** Heartbeat interval used when the server does not give one. */
const defaultHeartbeatIntervalMs = 10_000;

/**
 * Opens an AgentSession: sends the registration, then heartbeats at the
 * interval the server asks for, and task status reports from the outbox;
 * passes assignments and cancellations on.
 */
export function openAgentSession(options: AgentSessionOptions): AgentSession {
  const { outbox, logger } = options;
  const requests = createAsyncQueue<AgentSessionRequestInit>(256);
  const abortController = new AbortController();
  let registered = false;
  let finished = false;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let heartbeat: Promise<void> | undefined;

  const sendStatus = (report: TaskStatusReportInit) =>
    requests.pushOrWait({ message: { case: "taskStatus", value: report } });

  const scheduleHeartbeat = (intervalMs: number) => {
    heartbeatTimer = setTimeout(() => {
      heartbeat = options.measureGpus().then((gpus) => {
        if (!finished) {
          // Skipped, not queued, when the server is not reading: a stale heartbeat says nothing.
          requests.push({ message: { case: "heartbeat", value: { gpus } } });
          scheduleHeartbeat(intervalMs);
        }
      });
    }, intervalMs);
  };

  const onRegistered = (intervalMs: number) => {
    registered = true;
    logger.info(
      {
        nodeName: options.registration.nodeName,
        gpus: options.registration.gpus?.length ?? 0,
        simulated: options.registration.simulated ?? false,
        runningTaskIds: options.registration.runningTaskIds ?? [],
        heartbeatIntervalMs: intervalMs,
      },
      "registered with the server",
    );
    scheduleHeartbeat(intervalMs);
    outbox.attach(sendStatus);
  };

  requests.push({ message: { case: "register", value: options.registration } });
  const ended = (async (): Promise<AgentSessionEnd> => {
    let error: ConnectError | undefined;
    try {
      const responses = options.clients.agents.agentSession(requests, {
        signal: abortController.signal,
        timeoutMs: 0,
      });
      for await (const response of responses) {
        const message = response.message;
        if (message.case === "registered" && !registered) {
          const given = message.value.heartbeatInterval;
          onRegistered(
            given === undefined ? defaultHeartbeatIntervalMs : Math.max(10, durationMs(given)),
          );
        } else if (message.case === "assignment") {
          options.onAssignment(message.value);
        } else if (message.case === "cancellation") {
          options.onCancellation(message.value);
        }
      }
    } catch (caught) {
      error = ConnectError.from(caught);
    } finally {
      finished = true;
      clearTimeout(heartbeatTimer);
      const unsent = requests.abort();
      if (registered) {
        outbox.detach(
          unsent.flatMap((request) =>
            request.message?.case === "taskStatus"
              ? [request.message.value as TaskStatusReportInit]
              : [],
          ),
        );
      }
      await heartbeat;
    }
    return { registered, error };
  })();

  return {
    ended,
    close: () => requests.close(),
    abort: () => abortController.abort(),
  };
}
