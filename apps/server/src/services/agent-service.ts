import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  type AgentService,
  type AgentSessionRequest,
  LogStream,
  type RegisterNode,
  TaskState as TaskStateMessage,
  type TaskStatusReport,
} from "@sherpa/proto";
import type { Principal } from "../access/principal.js";
import { callerOf } from "../access/principal-context.js";
import { newToken } from "../access/secret-token.js";
import type { AgentCommand, AgentSessions } from "../agents/agent-sessions.js";
import type { TaskOutcome } from "../domain/records.js";
import type { TaskEventHub } from "../events/task-event-hub.js";
import type { Scheduler } from "../scheduling/scheduler.js";
import { taskChanged } from "../scheduling/task-changed.js";
import type { CredentialStore } from "../storage/credential-store.js";
import type { NodeStore } from "../storage/node-store.js";
import type { TaskExecutionStore } from "../storage/task-execution-store.js";
import type { TaskLogStore } from "../storage/task-log-store.js";
import type { TaskStore } from "../storage/task-store.js";
import { FieldViolations } from "./field-violations.js";
import { reasonedError } from "./reasoned-error.js";
import { checkLabels, checkRequired } from "./request-checks.js";
import { toTaskMessage } from "./task-message.js";

/** What the agent service needs. */
export interface AgentServiceDeps {
  nodes: NodeStore;
  execution: TaskExecutionStore;
  logs: TaskLogStore;
  tasks: TaskStore;
  sessions: AgentSessions;
  events: TaskEventHub;
  scheduler: Scheduler;
  now: () => Date;
  /** How often agents are told to heartbeat. */
  heartbeatIntervalMs: number;
  credentials: CredentialStore;
  /** The embedded agent's node name, which no enrolled node may take; "" when there is none. */
  embeddedNodeName: string;
}

const nodeNamePattern = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

const finalStates = new Map<TaskStateMessage, TaskOutcome["state"]>([
  [TaskStateMessage.SUCCEEDED, "succeeded"],
  [TaskStateMessage.FAILED, "failed"],
  [TaskStateMessage.CANCELLED, "cancelled"],
  [TaskStateMessage.TIMED_OUT, "timed-out"],
]);

/** Implements sherpa.v1.AgentService: agent sessions and log uploads. */
export function createAgentService(deps: AgentServiceDeps): ServiceImpl<typeof AgentService> {
  async function register(caller: Principal, message: RegisterNode) {
    const violations = new FieldViolations();
    checkRequired(violations, "register.node_name", message.nodeName);
    checkLabels(violations, "register.labels", message.labels);
    violations.throwIfAny();
    checkOwnNode(caller, message.nodeName);
    const now = deps.now();
    await deps.nodes.registerNode(
      {
        name: message.nodeName,
        // Labels given at enrollment are the operator's word; the agent's own cannot override them.
        labels: { ...message.labels, ...caller.labels },
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

  async function handle(nodeName: string, request: AgentSessionRequest) {
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
        await recordStatus(nodeName, message.value);
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

  async function recordStatus(nodeName: string, report: TaskStatusReport) {
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

  return {
    async enroll(request, context) {
      const caller = callerOf(context);
      const nodeName = request.nodeName;
      if (!nodeNamePattern.test(nodeName)) {
        throw new ConnectError(
          `node_name "${nodeName}" is not valid: use 1 to 63 letters, digits, ".", "_" or "-", starting and ending with a letter or digit`,
          Code.InvalidArgument,
        );
      }
      if (nodeName === deps.embeddedNodeName) {
        throw reasonedError(
          `node "${nodeName}" is the server's embedded agent; enroll under another name`,
          Code.AlreadyExists,
          "NODE_NAME_RESERVED",
        );
      }
      const token = newToken("node");
      const stored = await deps.credentials.enrollNode(
        caller.id,
        {
          id: token.id,
          kind: "node",
          name: nodeName,
          role: undefined,
          queues: [],
          labels: caller.labels,
          secretHash: token.secretHash,
          createdBy: caller.subject,
          expireTime: undefined,
        },
        deps.now(),
      );
      return { credential: token.text, nodeName: stored.name, labels: stored.labels };
    },

    async *agentSession(requests, context: HandlerContext) {
      const caller = callerOf(context);
      const iterator = requests[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done === true || first.value.message.case !== "register") {
        throw new ConnectError(
          "the first message of a session must be register",
          Code.InvalidArgument,
        );
      }
      const nodeName = first.value.message.value.nodeName;
      const outbox = await register(caller, first.value.message.value);
      yield {
        message: {
          case: "registered" as const,
          value: { heartbeatInterval: durationFromMs(deps.heartbeatIntervalMs) },
        },
      };
      let sessionOver = false;
      const reading = (async () => {
        for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
          if (sessionOver) {
            return;
          }
          await handle(nodeName, next.value);
        }
      })().then(
        () => outbox.end(),
        (error: unknown) => outbox.end(error),
      );
      const endOnAbort = () => outbox.end();
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
    },

    async uploadTaskLogs(requests, context) {
      const caller = callerOf(context);
      let stored = 0;
      let checkedTaskId: string | undefined;
      for await (const request of requests) {
        if (request.taskId !== checkedTaskId) {
          const task = await deps.tasks.getTask(request.taskId);
          if (task.nodeName !== caller.nodeName) {
            throw reasonedError(
              `task "${task.id}" does not run on node "${caller.nodeName}"`,
              Code.PermissionDenied,
              "WRONG_NODE",
            );
          }
          checkedTaskId = request.taskId;
        }
        const lines = await deps.logs.appendLines(
          request.taskId,
          request.lines.map((line) => ({
            stream: line.stream === LogStream.STDERR ? "stderr" : "stdout",
            text: line.text,
          })),
          deps.now(),
        );
        deps.events.publishLogLines(request.taskId, lines);
        stored += lines.length;
      }
      return { linesStored: BigInt(stored) };
    },
  };
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

function toResponse(command: AgentCommand) {
  if (command.kind === "assign") {
    return {
      message: {
        case: "assignment" as const,
        value: { task: toTaskMessage(command.task), gpuIndices: command.gpuIndices },
      },
    };
  }
  return {
    message: {
      case: "cancellation" as const,
      value: { taskId: command.taskId, reason: command.reason },
    },
  };
}
