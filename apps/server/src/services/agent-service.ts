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
import type { AgentCommand, AgentSessions } from "../agents/agent-sessions.js";
import type { TaskOutcome } from "../domain/records.js";
import type { TaskEventHub } from "../events/task-event-hub.js";
import type { Scheduler } from "../scheduling/scheduler.js";
import type { NodeStore } from "../storage/node-store.js";
import type { TaskExecutionStore } from "../storage/task-execution-store.js";
import type { TaskLogStore } from "../storage/task-log-store.js";
import type { TaskStore } from "../storage/task-store.js";
import { FieldViolations } from "./field-violations.js";
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
}

const finalStates = new Map<TaskStateMessage, TaskOutcome["state"]>([
  [TaskStateMessage.SUCCEEDED, "succeeded"],
  [TaskStateMessage.FAILED, "failed"],
  [TaskStateMessage.CANCELLED, "cancelled"],
  [TaskStateMessage.TIMED_OUT, "timed-out"],
]);

/** Implements sherpa.v1.AgentService: agent sessions and log uploads. */
export function createAgentService(deps: AgentServiceDeps): ServiceImpl<typeof AgentService> {
  async function register(message: RegisterNode) {
    const violations = new FieldViolations();
    checkRequired(violations, "register.node_name", message.nodeName);
    checkLabels(violations, "register.labels", message.labels);
    violations.throwIfAny();
    const now = deps.now();
    await deps.nodes.registerNode(
      {
        name: message.nodeName,
        labels: message.labels,
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
      deps.events.publishTask(task);
      deps.scheduler.requestScheduling();
    }
  }

  return {
    async *agentSession(requests, context: HandlerContext) {
      const iterator = requests[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done === true || first.value.message.case !== "register") {
        throw new ConnectError(
          "the first message of a session must be register",
          Code.InvalidArgument,
        );
      }
      const nodeName = first.value.message.value.nodeName;
      const outbox = await register(first.value.message.value);
      yield {
        message: {
          case: "registered" as const,
          value: { heartbeatInterval: durationFromMs(deps.heartbeatIntervalMs) },
        },
      };
      const reading = (async () => {
        for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
          await handle(nodeName, next.value);
        }
      })().then(
        () => outbox.end(),
        (error: unknown) => outbox.end(error),
      );
      const endOnAbort = () => outbox.end();
      context.signal.addEventListener("abort", endOnAbort);
      try {
        for await (const command of outbox) {
          yield toResponse(command);
        }
      } finally {
        context.signal.removeEventListener("abort", endOnAbort);
        deps.sessions.close(nodeName, outbox);
        await reading.catch(() => undefined);
      }
    },

    async uploadTaskLogs(requests) {
      let stored = 0;
      let checkedTaskId: string | undefined;
      for await (const request of requests) {
        if (request.taskId !== checkedTaskId) {
          await deps.tasks.getTask(request.taskId);
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
