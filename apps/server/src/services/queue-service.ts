import type { ServiceImpl } from "@connectrpc/connect";
import type { Queue as QueueMessage, QueueService } from "@sherpa/proto";
import type { Queue } from "../domain/records.js";
import type { Scheduler } from "../scheduling/scheduler.js";
import { decodePageToken } from "../storage/pagination.js";
import type { QueueChanges, QueueStore } from "../storage/queue-store.js";
import { FieldViolations, requireMessage } from "./field-violations.js";
import { queueStateFromMessage, toQueueMessage } from "./queue-message.js";
import {
  checkMaxLength,
  checkPageSize,
  checkRequestId,
  checkResourceName,
} from "./request-checks.js";
import { checkUpdateMask } from "./update-mask.js";

/** What the queue service needs. */
export interface QueueServiceDeps {
  /** Told after every change that can let a pending task start. */
  scheduler: Pick<Scheduler, "requestScheduling">;
  queues: QueueStore;
  now: () => Date;
}

const updatableFields = [
  "description",
  "resource_groups",
  "gpu_quota",
  "priority",
  "state",
] as const;
const maxDescriptionLength = 1000;
const maxGpuQuota = 1_000_000;

/** Implements sherpa.v1.QueueService over the queue store. */
export function createQueueService(deps: QueueServiceDeps): ServiceImpl<typeof QueueService> {
  async function withUsage(queue: Queue) {
    return toQueueMessage(queue, await deps.queues.getUsage(queue.name));
  }

  return {
    async createQueue(request) {
      const queue = requireMessage(request.queue, "queue");
      const violations = new FieldViolations();
      checkResourceName(violations, "queue.name", queue.name);
      const changes = checkQueueFields(violations, queue, new Set(updatableFields));
      checkRequestId(violations, request.requestId);
      violations.throwIfAny();
      const created = await deps.queues.createQueue(
        {
          name: queue.name,
          description: changes.description ?? "",
          resourceGroups: changes.resourceGroups ?? [],
          gpuQuota: changes.gpuQuota ?? 0,
          priority: changes.priority ?? 0,
          state: changes.state ?? "open",
          requestId: request.requestId,
        },
        deps.now(),
      );
      return { queue: await withUsage(created) };
    },

    async getQueue(request) {
      const violations = new FieldViolations();
      checkResourceName(violations, "name", request.name);
      violations.throwIfAny();
      return { queue: await withUsage(await deps.queues.getQueue(request.name)) };
    },

    async listQueues(request) {
      const violations = new FieldViolations();
      const pageSize = checkPageSize(violations, request.pageSize);
      violations.throwIfAny();
      const page = await deps.queues.listQueues({
        pageSize,
        after: decodePageToken<string>(request.pageToken, "string"),
      });
      return {
        queues: await Promise.all(page.items.map(withUsage)),
        nextPageToken: page.nextPageToken,
      };
    },

    async updateQueue(request) {
      const queue = requireMessage(request.queue, "queue");
      const violations = new FieldViolations();
      checkResourceName(violations, "queue.name", queue.name);
      const paths = checkUpdateMask(violations, request.updateMask, updatableFields);
      const changes = checkQueueFields(violations, queue, paths);
      violations.throwIfAny();
      const updated = await deps.queues.updateQueue(queue.name, changes, deps.now());
      deps.scheduler.requestScheduling();
      return { queue: await withUsage(updated) };
    },

    async deleteQueue(request) {
      const violations = new FieldViolations();
      checkResourceName(violations, "name", request.name);
      violations.throwIfAny();
      await deps.queues.deleteQueue(request.name);
      return {};
    },
  };
}

/** Checks the queue fields named in `paths` and returns them as domain changes. */
function checkQueueFields(
  violations: FieldViolations,
  queue: QueueMessage,
  paths: Set<(typeof updatableFields)[number]>,
): QueueChanges {
  const changes: QueueChanges = {};
  if (paths.has("description")) {
    checkMaxLength(violations, "queue.description", queue.description, maxDescriptionLength);
    changes.description = queue.description;
  }
  if (paths.has("resource_groups")) {
    queue.resourceGroups.forEach((name, index) => {
      checkResourceName(violations, `queue.resource_groups[${index}]`, name);
    });
    if (new Set(queue.resourceGroups).size !== queue.resourceGroups.length) {
      violations.add("queue.resource_groups", "must not name a group twice");
    }
    changes.resourceGroups = queue.resourceGroups;
  }
  if (paths.has("gpu_quota")) {
    if (queue.gpuQuota < 0 || queue.gpuQuota > maxGpuQuota) {
      violations.add(
        "queue.gpu_quota",
        `must be between 0 (no limit) and ${maxGpuQuota}; got ${queue.gpuQuota}`,
      );
    }
    changes.gpuQuota = queue.gpuQuota;
  }
  if (paths.has("priority")) {
    changes.priority = queue.priority;
  }
  if (paths.has("state")) {
    const state = queueStateFromMessage(queue.state, "open");
    if (state === undefined) {
      violations.add("queue.state", `${queue.state} is not a queue state`);
    } else {
      changes.state = state;
    }
  }
  return changes;
}
