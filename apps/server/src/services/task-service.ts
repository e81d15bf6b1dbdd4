import { type Duration, durationMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { SubmitTaskRequest, TaskService } from "@sherpa/proto";
import { defaultQueueName } from "../domain/defaults.js";
import { decodePageToken } from "../storage/pagination.js";
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
import { taskStateFromMessage, toTaskMessage } from "./task-message.js";

/** What the task service needs. */
export interface TaskServiceDeps {
  tasks: TaskStore;
  /** The current time; tests pass a fixed clock. */
  now: () => Date;
}

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
      return { task: toTaskMessage(await deps.tasks.cancelTask(request.id, reason, deps.now())) };
    },
  };
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
