import { type Duration, durationMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { SubmitTaskRequest, TaskService } from "@sherpa/proto";
import type { AgentSessions } from "../agents/agent-sessions.js";
import { defaultQueueName } from "../domain/defaults.js";
import { followTaskLogs } from "../events/follow-task-logs.js";
import type { TaskEventHub } from "../events/task-event-hub.js";
import { watchTaskEvents } from "../events/watch-task-events.js";
import type { Scheduler } from "../scheduling/scheduler.js";
import { decodePageToken } from "../storage/pagination.js";
import type { TaskExecutionStore } from "../storage/task-execution-store.js";
import type { TaskLogStore } from "../storage/task-log-store.js";
import type { NewTask, TaskStore } from "../storage/task-store.js";
import { FieldViolations } from "./field-violations.js";
import {
  checkEnumFilter,
  checkLabels,
  checkMaxLength,
  checkPageSize,
  checkRequestId,
  checkRequired,
  checkResourceName,
} from "./request-checks.js";
import { taskStateFromMessage, toLogLineMessage, toTaskMessage } from "./task-message.js";

/** What the task service needs. */
export interface TaskServiceDeps {
  tasks: TaskStore;
  logs: TaskLogStore;
  execution: TaskExecutionStore;
  events: TaskEventHub;
  sessions: AgentSessions;
  scheduler: Scheduler;
  /** The current time; tests pass a fixed clock. */
  now: () => Date;
}

/** Most task events held for a slow WatchTasks reader before its stream ends. */
const watchBufferLimit = 10_000;

/** Most GPUs one task may ask for; all of them must fit on one node. */
export const maxGpusPerTask = 64;

const maxArgvLength = 1024;
const maxNameLength = 200;
const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
const maxTimeoutMs = 30 * 24 * 60 * 60 * 1000;

/** Implements sherpa.v1.TaskService over the task store. */
export function createTaskService(deps: TaskServiceDeps): ServiceImpl<typeof TaskService> {
  return {
    async submitTask(request) {
      const task = await deps.tasks.submitTask(checkSubmitTaskRequest(request), deps.now());
      deps.events.publishTask(task);
      deps.scheduler.requestScheduling();
      return { task: toTaskMessage(task) };
    },

    async getTask(request) {
      const violations = new FieldViolations();
      checkRequired(violations, "id", request.id);
      violations.throwIfAny();
      return { task: toTaskMessage(await deps.tasks.getTask(request.id)) };
    },

    async listTasks(request) {
      const violations = new FieldViolations();
      const pageSize = checkPageSize(violations, request.pageSize);
      if (request.queue !== "") {
        checkResourceName(violations, "queue", request.queue);
      }
      const states = checkEnumFilter(violations, "states", request.states, taskStateFromMessage);
      checkLabels(violations, "labels", request.labels);
      violations.throwIfAny();
      const page = await deps.tasks.listTasks(
        { pageSize, after: decodePageToken<number>(request.pageToken, "number") },
        { queue: request.queue, states, labels: request.labels },
      );
      return { tasks: page.items.map(toTaskMessage), nextPageToken: page.nextPageToken };
    },

    async cancelTask(request) {
      const violations = new FieldViolations();
      checkRequired(violations, "id", request.id);
      checkMaxLength(violations, "reason", request.reason, maxNameLength);
      violations.throwIfAny();
      const reason = request.reason === "" ? "cancelled by user" : request.reason;
      return { task: toTaskMessage(await cancelTask(deps, request.id, reason)) };
    },

    async *watchTasks(request, context) {
      const violations = new FieldViolations();
      if (request.queue !== "") {
        checkResourceName(violations, "queue", request.queue);
      }
      const states = checkEnumFilter(violations, "states", request.states, taskStateFromMessage);
      violations.throwIfAny();
      const events = watchTaskEvents(deps, {
        queue: request.queue,
        taskIds: request.taskIds,
        states,
        includeCurrent: request.includeCurrent,
        signal: context.signal,
        bufferLimit: watchBufferLimit,
        onOverflow: () =>
          new ConnectError(
            `the watcher fell ${watchBufferLimit} events behind; watch again with include_current`,
            Code.ResourceExhausted,
          ),
      });
      for await (const event of events) {
        yield { task: toTaskMessage(event.task), current: event.current };
      }
    },

    async *streamTaskLogs(request, context) {
      const violations = new FieldViolations();
      checkRequired(violations, "id", request.id);
      if (request.offset < 0n) {
        violations.add("offset", "must not be negative");
      }
      violations.throwIfAny();
      const batches = followTaskLogs(deps, {
        taskId: request.id,
        offset: Number(request.offset),
        follow: request.follow,
        signal: context.signal,
      });
      for await (const lines of batches) {
        yield { lines: lines.map(toLogLineMessage) };
      }
    },
  };
}

/**
 * Cancels a task: a pending one ends at once; a running one is stopped by its
 * agent, or ended here when its node has no agent connected to this server.
 */
async function cancelTask(deps: TaskServiceDeps, id: string, reason: string) {
  const task = await deps.tasks.cancelTask(id, reason, deps.now());
  if (task.state !== "running") {
    deps.events.publishTask(task);
    deps.scheduler.requestScheduling();
    return task;
  }
  if (deps.sessions.send(task.nodeName, { kind: "cancel", taskId: id, reason })) {
    return task;
  }
  const ended = await deps.execution.finishTask(
    { taskId: id, nodeName: task.nodeName, state: "cancelled", exitCode: undefined, reason },
    deps.now(),
  );
  if (ended === undefined) {
    return deps.tasks.getTask(id);
  }
  deps.events.publishTask(ended);
  deps.scheduler.requestScheduling();
  return ended;
}

function checkSubmitTaskRequest(request: SubmitTaskRequest): NewTask {
  const violations = new FieldViolations();
  const queue = request.queue === "" ? defaultQueueName : request.queue;
  checkResourceName(violations, "queue", queue);
  checkMaxLength(violations, "name", request.name, maxNameLength);
  const [program] = request.argv;
  if (program === undefined || program === "") {
    violations.add("argv", "is required: give the command to run as its first element");
  } else if (request.argv.length > maxArgvLength) {
    violations.add("argv", `must have at most ${maxArgvLength} elements`);
  }
  for (const name of Object.keys(request.env)) {
    if (!envNamePattern.test(name)) {
      violations.add(
        `env[${name}]`,
        "environment variable names are letters, digits and _, not starting with a digit",
      );
    }
  }
  if (request.gpuCount < 0 || request.gpuCount > maxGpusPerTask) {
    violations.add("gpu_count", `must be between 0 and ${maxGpusPerTask}; got ${request.gpuCount}`);
  }
  checkMaxLength(violations, "gpu_model", request.gpuModel, maxNameLength);
  const timeoutMs = checkTimeout(violations, request.timeout);
  checkLabels(violations, "labels", request.labels);
  checkRequestId(violations, request.requestId);
  violations.throwIfAny();
  return {
    queue,
    name: request.name === "" ? (program ?? "") : request.name,
    argv: request.argv,
    env: request.env,
    gpuCount: request.gpuCount,
    gpuModel: request.gpuModel,
    timeoutMs,
    labels: request.labels,
    requestId: request.requestId,
  };
}

function checkTimeout(
  violations: FieldViolations,
  timeout: Duration | undefined,
): number | undefined {
  if (timeout === undefined) {
    return undefined;
  }
  const ms = durationMs(timeout);
  if (ms <= 0 || ms > maxTimeoutMs) {
    violations.add("timeout", "must be positive and at most 30 days when set");
  }
  return ms;
}
