import { type Duration, durationMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { SubmitTaskRequest, TaskService } from "@sherpa/proto";
import { sendResponseHeaders } from "@sherpa/server-kit";
import type { Principal } from "../access/principal.js";
import { callerOf } from "../access/principal-context.js";
import {
  canSeeEnvValues,
  checkCanCancel,
  checkCanSeeTask,
  checkCanSubmitTo,
  visibleQueues,
} from "../access/task-access.js";
import type { AgentSessions } from "../agents/agent-sessions.js";
import { defaultQueueName } from "../domain/defaults.js";
import type { Task } from "../domain/records.js";
import { followTaskLogs } from "../events/follow-task-logs.js";
import type { TaskEventHub } from "../events/task-event-hub.js";
import { watchTaskEvents } from "../events/watch-task-events.js";
import type { Scheduler } from "../scheduling/scheduler.js";
import { taskChanged } from "../scheduling/task-changed.js";
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
const maxArgvBytes = 128 * 1024;
const maxEnvCount = 256;
const maxEnvBytes = 64 * 1024;
const maxNameLength = 200;
const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
const maxTimeoutMs = 30 * 24 * 60 * 60 * 1000;

/** Implements sherpa.v1.TaskService over the task store. */
export function createTaskService(deps: TaskServiceDeps): ServiceImpl<typeof TaskService> {
  return {
    async submitTask(request, context) {
      const caller = callerOf(context);
      const newTask = checkSubmitTaskRequest(request, caller.subject);
      checkCanSubmitTo(caller, newTask.queue);
      const task = await deps.tasks.submitTask(newTask, deps.now());
      taskChanged(deps, task);
      return { task: taskMessageFor(caller, task) };
    },

    async getTask(request, context) {
      const caller = callerOf(context);
      const violations = new FieldViolations();
      checkRequired(violations, "id", request.id);
      violations.throwIfAny();
      const task = await deps.tasks.getTask(request.id);
      checkCanSeeTask(caller, task);
      return { task: taskMessageFor(caller, task) };
    },

    async listTasks(request, context) {
      const caller = callerOf(context);
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
        {
          queue: request.queue,
          states,
          labels: request.labels,
          owner: request.owner === "me" ? caller.subject : request.owner,
          queues: visibleQueues(caller),
        },
      );
      return {
        tasks: page.items.map((task) => taskMessageFor(caller, task)),
        nextPageToken: page.nextPageToken,
      };
    },

    async cancelTask(request, context) {
      const caller = callerOf(context);
      const violations = new FieldViolations();
      checkRequired(violations, "id", request.id);
      checkMaxLength(violations, "reason", request.reason, maxNameLength);
      violations.throwIfAny();
      const task = await deps.tasks.getTask(request.id);
      checkCanSeeTask(caller, task);
      checkCanCancel(caller, task);
      const reason = request.reason === "" ? `cancelled by ${caller.subject}` : request.reason;
      return { task: taskMessageFor(caller, await cancelTask(deps, request.id, reason)) };
    },

    async *watchTasks(request, context) {
      const caller = callerOf(context);
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
        visibleQueues: visibleQueues(caller),
        includeCurrent: request.includeCurrent,
        signal: context.signal,
        bufferLimit: watchBufferLimit,
        onOverflow: () =>
          new ConnectError(
            `the watcher fell ${watchBufferLimit} events behind; watch again with include_current`,
            Code.ResourceExhausted,
          ),
        // A client that has the headers may rely on the watch seeing what it does next.
        onListening: () => sendResponseHeaders(context),
      });
      for await (const event of events) {
        yield { task: taskMessageFor(caller, event.task), current: event.current };
      }
    },

    async *streamTaskLogs(request, context) {
      const caller = callerOf(context);
      const violations = new FieldViolations();
      checkRequired(violations, "id", request.id);
      if (request.offset < 0n) {
        violations.add("offset", "must not be negative");
      }
      violations.throwIfAny();
      checkCanSeeTask(caller, await deps.tasks.getTask(request.id));
      const batches = followTaskLogs(deps, {
        taskId: request.id,
        offset: Number(request.offset),
        follow: request.follow,
        signal: context.signal,
      });
      // Lines are read from the store by offset, so none is missed whenever the client starts.
      sendResponseHeaders(context);
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
    taskChanged(deps, task);
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
  taskChanged(deps, ended);
  return ended;
}

/** A task as the caller may see it: env values only for its owner and admins. */
function taskMessageFor(caller: Principal, task: Task) {
  return toTaskMessage(task, !canSeeEnvValues(caller, task));
}

function checkSubmitTaskRequest(request: SubmitTaskRequest, owner: string): NewTask {
  const violations = new FieldViolations();
  const queue = request.queue === "" ? defaultQueueName : request.queue;
  checkResourceName(violations, "queue", queue);
  checkMaxLength(violations, "name", request.name, maxNameLength);
  const [program] = request.argv;
  if (program === undefined || program === "") {
    violations.add("argv", "is required: give the command to run as its first element");
  } else if (request.argv.length > maxArgvLength) {
    violations.add("argv", `must have at most ${maxArgvLength} elements`);
  } else if (byteLength(request.argv) > maxArgvBytes) {
    violations.add("argv", `must be at most ${maxArgvBytes} bytes in all`);
  }
  const envEntries = Object.entries(request.env);
  if (envEntries.length > maxEnvCount) {
    violations.add("env", `must have at most ${maxEnvCount} variables`);
  } else if (byteLength(envEntries.flat()) > maxEnvBytes) {
    violations.add("env", `names and values must be at most ${maxEnvBytes} bytes in all`);
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
    owner,
  };
}

function byteLength(texts: readonly string[]): number {
  return texts.reduce((total, text) => total + Buffer.byteLength(text), 0);
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
