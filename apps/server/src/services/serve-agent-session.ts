import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import {
  type AgentSessionRequest,
  type AgentSessionResponseSchema,
  type RegisterNode,
  TaskState as TaskStateMessage,
  type TaskStatusReport,
} from "@sherpa/proto";
import type { Principal } from "../access/principal.js";
import { callerOf } from "../access/principal-context.js";
import type { AgentCommand, AgentOutbox, AgentSessions } from "../agents/agent-sessions.js";
import type { TaskOutcome } from "../domain/records.js";
import type { TaskEventHub } from "../events/task-event-hub.js";
import type { Scheduler } from "../scheduling/scheduler.js";
import { taskChanged } from "../scheduling/task-changed.js";
import type { NodeStore } from "../storage/node-store.js";
import type { TaskExecutionStore } from "../storage/task-execution-store.js";
import { FieldViolations } from "./field-violations.js";
import { reasonedError } from "./reasoned-error.js";
import { checkLabels, checkRequired } from "./request-checks.js";
import { toTaskMessage } from "./task-message.js";

/** What an agent session needs. */
export interface AgentSessionDeps {
  nodes: NodeStore;
  execution: TaskExecutionStore;
  sessions: AgentSessions;
  events: TaskEventHub;
  scheduler: Scheduler;
  now: () => Date;
  /** How often agents are told to heartbeat. */
  heartbeatIntervalMs: number;
}

type AgentSessionResponse = MessageInitShape<typeof AgentSessionResponseSchema>;

const finalStates = new Map<TaskStateMessage, TaskOutcome["state"]>([
  [TaskStateMessage.SUCCEEDED, "succeeded"],
  [TaskStateMessage.FAILED, "failed"],
  [TaskStateMessage.CANCELLED, "cancelled"],
  [TaskStateMessage.TIMED_OUT, "timed-out"],
]);

/**
 * AgentService.AgentSession: the first message registers the node; after
 * that the agent's heartbeats and task statuses are recorded while the
 * server's assignments and cancellations go back, until either side ends.
 */
export async function* serveAgentSession(
  deps: AgentSessionDeps,
  requests: AsyncIterable<AgentSessionRequest>,
  context: HandlerContext,
): AsyncGenerator<AgentSessionResponse> {
  const caller = callerOf(context);
  const iterator = requests[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done === true || first.value.message.case !== "register") {
    throw new ConnectError("the first message of a session must be register", Code.InvalidArgument);
  }
  const nodeName = first.value.message.value.nodeName;
  const outbox = await registerNode(deps, caller, first.value.message.value);
  yield {
    message: {
      case: "registered",
      value: { heartbeatInterval: durationFromMs(deps.heartbeatIntervalMs) },
    },
  };
  let sessionOver = false;
  const reading = (async () => {
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
      if (sessionOver) {
        return;
      }
      await handleSessionMessage(deps, nodeName, next.value);
    }
  })().then(
    () => outbox.close(),
    (error: unknown) => outbox.close(error),
  );
  // Ended with the reason (the agent gone, the server shutting down), so that
  // the session is not answered as one that ended by itself.
  const endOnAbort = () => outbox.close(context.signal.reason);
  context.signal.addEventListener("abort", endOnAbort);
  let endedWithError = false;
  try {
    for await (const command of outbox) {
      yield toResponse(command);
    }
  } catch (error) {
    // Ended by the server (a revoked credential, a stuck outbox) or by a bad
    // message: the agent's further messages must not be read, so no waiting for them.
    endedWithError = true;
    throw error;
  } finally {
    sessionOver = true;
    context.signal.removeEventListener("abort", endOnAbort);
    deps.sessions.close(nodeName, outbox);
    if (!endedWithError) {
      await reading.catch(() => undefined);
    }
  }
}

/**
 * Records the node and its GPUs, opens its outbox, fails the tasks its agent
 * no longer runs and tells it to cancel those the server does not know running there.
 */
async function registerNode(
  deps: AgentSessionDeps,
  caller: Principal,
  message: RegisterNode,
): Promise<AgentOutbox> {
  // Labels given at enrollment are the operator's word; the agent's own cannot override them.
  const labels = { ...message.labels, ...caller.labels };
  const violations = new FieldViolations();
  checkRequired(violations, "register.node_name", message.nodeName);
  checkLabels(violations, "register.labels", message.labels);
  violations.throwIfAny();
  // The agent's labels and its join token's, together, are bounded as one node's.
  const merged = new FieldViolations();
  checkLabels(merged, "register.labels (with the join token's)", labels);
  merged.throwIfAny();
  checkOwnNode(caller, message.nodeName);
  const now = deps.now();
  await deps.nodes.registerNode(
    {
      name: message.nodeName,
      labels,
      simulated: message.simulated,
      gpus: message.gpus.map((gpu) => ({
        uuid: gpu.uuid,
        index: gpu.index,
        model: gpu.model,
        memoryBytes: Number(gpu.memoryBytes),
      })),
    },
    now,
  );
  const outbox = deps.sessions.open(message.nodeName);
  const known = await deps.execution.runningTaskIds(message.nodeName);
  const lost = known.filter((id) => !message.runningTaskIds.includes(id));
  for (const task of await deps.execution.failTasks(
    message.nodeName,
    lost,
    "node lost: its agent restarted without the task",
    now,
  )) {
    deps.events.publishTask(task);
  }
  for (const id of message.runningTaskIds.filter((id) => !known.includes(id))) {
    outbox.push({ kind: "cancel", taskId: id, reason: "the task no longer runs on this node" });
  }
  deps.scheduler.requestScheduling();
  return outbox;
}

/** Refuses an agent acting as a node other than its credential's. */
function checkOwnNode(caller: Principal, nodeName: string) {
  if (caller.nodeName !== nodeName) {
    throw reasonedError(
      `this credential belongs to node "${caller.nodeName}", not "${nodeName}"; a new node enrolls with its own join token`,
      Code.PermissionDenied,
      "WRONG_NODE",
    );
  }
}

/** Records a heartbeat or a task status; anything else after register is a mistake. */
async function handleSessionMessage(
  deps: AgentSessionDeps,
  nodeName: string,
  request: AgentSessionRequest,
) {
  const message = request.message;
  switch (message.case) {
    case "heartbeat":
      await deps.execution.recordHeartbeat(
        nodeName,
        message.value.gpus.map((gpu) => ({
          uuid: gpu.uuid,
          utilizationPercent: gpu.utilizationPercent,
          memoryUsedBytes:
            gpu.memoryUsedBytes === undefined ? undefined : Number(gpu.memoryUsedBytes),
        })),
        deps.now(),
      );
      return;
    case "taskStatus":
      await recordStatus(deps, nodeName, message.value);
      return;
    case "register":
      throw new ConnectError(
        "register may only be the first message of a session",
        Code.InvalidArgument,
      );
    default:
      throw new ConnectError("empty session message", Code.InvalidArgument);
  }
}

/** Records how a task ended; a report of a task still running changes nothing. */
async function recordStatus(deps: AgentSessionDeps, nodeName: string, report: TaskStatusReport) {
  const state = finalStates.get(report.state);
  if (state === undefined) {
    return;
  }
  const task = await deps.execution.finishTask(
    { taskId: report.taskId, nodeName, state, exitCode: report.exitCode, reason: report.reason },
    deps.now(),
  );
  if (task !== undefined) {
    taskChanged(deps, task);
  }
}

function toResponse(command: AgentCommand): AgentSessionResponse {
  if (command.kind === "assign") {
    return {
      message: {
        case: "assignment",
        value: { task: toTaskMessage(command.task), gpuIndices: command.gpuIndices },
      },
    };
  }
  return {
    message: {
      case: "cancellation",
      value: { taskId: command.taskId, reason: command.reason },
    },
  };
}
