import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { rejectsWithCode } from "@sherpa/kit/testing";
import {
  type CreateQueueRequestSchema,
  QueueState,
  type UpdateQueueRequestSchema,
} from "@sherpa/proto";
import { rejectsWithReason, rejectsWithViolations } from "./testing/assert-connect-error.js";
import { createTestTransport, type TestTransport } from "./testing/create-test-transport.js";

describe("QueueService", () => {
  let api: TestTransport;
  beforeEach(async () => {
    api = await createTestTransport();
  });
  afterEach(() => api.close());

  const queueNames = async (request: { pageSize?: number; pageToken?: string } = {}) => {
    const { queues, nextPageToken } = await api.queues.listQueues(request);
    return { names: queues.map((q) => q.name), nextPageToken };
  };

  describe("CreateQueue and GetQueue", () => {
    it("creates a queue that GetQueue returns", async () => {
      const { queue: created } = await api.queues.createQueue({
        queue: {
          name: "training",
          description: "long jobs",
          resourceGroups: ["all-nodes"],
          gpuQuota: 8,
          priority: 5,
        },
      });
      assert.equal(created?.state, QueueState.OPEN);
      assert.deepEqual(created?.createTime && timestampDate(created.createTime), api.clock.now());
      const { queue } = await api.queues.getQueue({ name: "training" });
      assert.deepEqual(queue, created);
      assert.equal(queue?.description, "long jobs");
      assert.deepEqual(queue?.resourceGroups, ["all-nodes"]);
      assert.equal(queue?.gpuQuota, 8);
      assert.equal(queue?.priority, 5);
      assert.equal(queue?.pendingTasks, 0);
    });

    it("creates a CLOSED queue when asked", async () => {
      const { queue } = await api.queues.createQueue({
        queue: { name: "frozen", state: QueueState.CLOSED },
      });
      assert.equal(queue?.state, QueueState.CLOSED);
    });

    it("serves the default queue on the all-nodes group from the start", async () => {
      const { queue } = await api.queues.getQueue({ name: "default" });
      assert.deepEqual(queue?.resourceGroups, ["all-nodes"]);
      assert.equal(queue?.state, QueueState.OPEN);
    });

    const badRequests: {
      name: string;
      request: MessageInitShape<typeof CreateQueueRequestSchema>;
      fields: string[];
    }[] = [
      { name: "no queue", request: {}, fields: ["queue"] },
      { name: "no name", request: { queue: {} }, fields: ["queue.name"] },
      { name: "an upper-case name", request: { queue: { name: "Batch" } }, fields: ["queue.name"] },
      { name: "a name with _", request: { queue: { name: "my_queue" } }, fields: ["queue.name"] },
      {
        name: "a 64-character name",
        request: { queue: { name: `q${"x".repeat(63)}` } },
        fields: ["queue.name"],
      },
      {
        name: "a negative gpu_quota",
        request: { queue: { name: "q", gpuQuota: -1 } },
        fields: ["queue.gpu_quota"],
      },
      {
        name: "a malformed resource group",
        request: { queue: { name: "q", resourceGroups: ["all-nodes", "Bad"] } },
        fields: ["queue.resource_groups[1]"],
      },
      {
        name: "a resource group named twice",
        request: { queue: { name: "q", resourceGroups: ["all-nodes", "all-nodes"] } },
        fields: ["queue.resource_groups"],
      },
      {
        name: "an unknown state",
        request: { queue: { name: "q", state: 7 as QueueState } },
        fields: ["queue.state"],
      },
      {
        name: "a description over 1000 characters",
        request: { queue: { name: "q", description: "d".repeat(1001) } },
        fields: ["queue.description"],
      },
      {
        name: "several mistakes",
        request: { queue: { name: "Q", gpuQuota: 2_000_000 }, requestId: "r".repeat(129) },
        fields: ["queue.name", "queue.gpu_quota", "request_id"],
      },
    ];
    for (const { name, request, fields } of badRequests) {
      it(`rejects ${name} naming ${fields.join(", ")}`, async () => {
        await rejectsWithViolations(api.queues.createQueue(request), fields);
        assert.deepEqual((await queueNames()).names, ["default"]);
      });
    }

    it("rejects an unknown resource group naming queue.resource_groups[0]", async () => {
      const error = await rejectsWithViolations(
        api.queues.createQueue({ queue: { name: "q", resourceGroups: ["missing"] } }),
        ["queue.resource_groups[0]"],
      );
      assert.match(error.rawMessage, /"missing" does not exist/);
      await rejectsWithCode(api.queues.getQueue({ name: "q" }), Code.NotFound);
    });

    it("fails with AlreadyExists for a taken name", async () => {
      await rejectsWithCode(
        api.queues.createQueue({ queue: { name: "default" } }),
        Code.AlreadyExists,
        /queue "default" already exists/,
      );
    });

    it("returns the first queue when a request_id is sent again", async () => {
      const request = { queue: { name: "retried", priority: 1 }, requestId: "create-1" };
      const { queue: first } = await api.queues.createQueue(request);
      api.clock.advance(1_000);
      const { queue: second } = await api.queues.createQueue(request);
      assert.deepEqual(second, first);
      assert.deepEqual((await queueNames()).names, ["default", "retried"]);
    });

    it("rejects GetQueue of a malformed name and fails with NotFound for an unknown one", async () => {
      await rejectsWithViolations(api.queues.getQueue({ name: "" }), ["name"]);
      await rejectsWithViolations(api.queues.getQueue({ name: "No" }), ["name"]);
      await rejectsWithCode(api.queues.getQueue({ name: "nope" }), Code.NotFound, /nope/);
    });
  });

  describe("ListQueues", () => {
    it("lists queues by name, one page at a time", async () => {
      for (const name of ["zeta", "alpha", "mid"]) {
        await api.queues.createQueue({ queue: { name } });
      }
      assert.deepEqual((await queueNames()).names, ["alpha", "default", "mid", "zeta"]);
      const first = await queueNames({ pageSize: 3 });
      assert.deepEqual(first.names, ["alpha", "default", "mid"]);
      assert.notEqual(first.nextPageToken, "");
      const second = await queueNames({ pageSize: 3, pageToken: first.nextPageToken });
      assert.deepEqual(second, { names: ["zeta"], nextPageToken: "" });
    });

    for (const { name, request, field } of [
      { name: "page_size 1001", request: { pageSize: 1001 }, field: "page_size" },
      { name: "page_size -1", request: { pageSize: -1 }, field: "page_size" },
      { name: "a garbage page_token", request: { pageToken: "%%%" }, field: "page_token" },
    ]) {
      it(`rejects ${name}`, async () => {
        await rejectsWithViolations(api.queues.listQueues(request), [field]);
      });
    }
  });

  describe("UpdateQueue", () => {
    const update = (request: MessageInitShape<typeof UpdateQueueRequestSchema>) =>
      api.queues.updateQueue(request);

    it("changes only the fields in update_mask", async () => {
      await api.queues.createQueue({
        queue: { name: "q", description: "before", gpuQuota: 4, priority: 1 },
      });
      api.clock.advance(60_000);
      const { queue } = await update({
        queue: { name: "q", description: "ignored", gpuQuota: 99, priority: 7 },
        updateMask: { paths: ["priority", "gpu_quota"] },
      });
      assert.equal(queue?.priority, 7);
      assert.equal(queue?.gpuQuota, 99);
      assert.equal(queue?.description, "before");
      assert.deepEqual(queue?.updateTime && timestampDate(queue.updateTime), api.clock.now());
      assert.notDeepEqual(queue?.createTime, queue?.updateTime);
      const { queue: read } = await api.queues.getQueue({ name: "q" });
      assert.deepEqual(read, queue);
    });

    it("clears a field that is in the mask but unset in the message", async () => {
      await api.queues.createQueue({ queue: { name: "q", description: "before" } });
      const { queue } = await update({
        queue: { name: "q" },
        updateMask: { paths: ["description"] },
      });
      assert.equal(queue?.description, "");
    });

    it("closes and reopens a queue", async () => {
      const close = await update({
        queue: { name: "default", state: QueueState.CLOSED },
        updateMask: { paths: ["state"] },
      });
      assert.equal(close.queue?.state, QueueState.CLOSED);
      const reopen = await update({
        queue: { name: "default", state: QueueState.OPEN },
        updateMask: { paths: ["state"] },
      });
      assert.equal(reopen.queue?.state, QueueState.OPEN);
    });

    const badRequests: {
      name: string;
      request: MessageInitShape<typeof UpdateQueueRequestSchema>;
      fields: string[];
    }[] = [
      {
        name: "no update_mask",
        request: { queue: { name: "default", priority: 1 } },
        fields: ["update_mask"],
      },
      {
        name: "an empty update_mask",
        request: { queue: { name: "default" }, updateMask: { paths: [] } },
        fields: ["update_mask"],
      },
      {
        name: "a path that cannot be updated",
        request: { queue: { name: "default" }, updateMask: { paths: ["name"] } },
        fields: ["update_mask"],
      },
      {
        name: "an output-only path",
        request: { queue: { name: "default" }, updateMask: { paths: ["pending_tasks"] } },
        fields: ["update_mask"],
      },
      {
        name: "a bad value of a masked field",
        request: { queue: { name: "default", gpuQuota: -1 }, updateMask: { paths: ["gpu_quota"] } },
        fields: ["queue.gpu_quota"],
      },
      {
        name: "an unknown resource group",
        request: {
          queue: { name: "default", resourceGroups: ["all-nodes", "missing"] },
          updateMask: { paths: ["resource_groups"] },
        },
        fields: ["queue.resource_groups[1]"],
      },
      { name: "no queue", request: { updateMask: { paths: ["priority"] } }, fields: ["queue"] },
    ];
    for (const { name, request, fields } of badRequests) {
      it(`rejects ${name} naming ${fields.join(", ")} and changes nothing`, async () => {
        const { queue: before } = await api.queues.getQueue({ name: "default" });
        await rejectsWithViolations(update(request), fields);
        const { queue: after } = await api.queues.getQueue({ name: "default" });
        assert.deepEqual(after, before);
      });
    }

    it("ignores a bad value of a field outside the mask", async () => {
      const { queue } = await update({
        queue: { name: "default", gpuQuota: -1, priority: 3 },
        updateMask: { paths: ["priority"] },
      });
      assert.equal(queue?.priority, 3);
      assert.equal(queue?.gpuQuota, 0);
    });

    it("fails with NotFound for an unknown queue", async () => {
      await rejectsWithCode(
        update({ queue: { name: "nope", priority: 1 }, updateMask: { paths: ["priority"] } }),
        Code.NotFound,
      );
    });
  });

  describe("usage", () => {
    it("counts the pending tasks of each queue", async () => {
      await api.queues.createQueue({ queue: { name: "other" } });
      await api.tasks.submitTask({ argv: ["a"], gpuCount: 2 });
      const { task } = await api.tasks.submitTask({ argv: ["b"], gpuCount: 1 });
      await api.tasks.submitTask({ argv: ["c"], queue: "other" });
      let { queue } = await api.queues.getQueue({ name: "default" });
      assert.equal(queue?.pendingTasks, 2);
      assert.equal(queue?.runningTasks, 0);
      assert.equal(queue?.gpusInUse, 0);
      await api.tasks.cancelTask({ id: task?.id ?? "" });
      ({ queue } = await api.queues.getQueue({ name: "default" }));
      assert.equal(queue?.pendingTasks, 1);
      const { queues } = await api.queues.listQueues({});
      assert.deepEqual(
        queues.map((q) => [q.name, q.pendingTasks]),
        [
          ["default", 1],
          ["other", 1],
        ],
      );
    });
  });

  describe("DeleteQueue", () => {
    it("refuses to delete a queue with pending tasks", async () => {
      await api.queues.createQueue({ queue: { name: "busy" } });
      await api.tasks.submitTask({ argv: ["a"], queue: "busy" });
      await rejectsWithCode(
        api.queues.deleteQueue({ name: "busy" }),
        Code.FailedPrecondition,
        /1 pending/,
      );
      await rejectsWithReason(
        api.queues.deleteQueue({ name: "busy" }),
        Code.FailedPrecondition,
        "QUEUE_HAS_TASKS",
      );
      const { queue } = await api.queues.getQueue({ name: "busy" });
      assert.equal(queue?.name, "busy");
    });

    it("deletes a queue whose tasks have ended", async () => {
      await api.queues.createQueue({ queue: { name: "done" } });
      const { task } = await api.tasks.submitTask({ argv: ["a"], queue: "done" });
      await api.tasks.cancelTask({ id: task?.id ?? "" });
      await api.queues.deleteQueue({ name: "done" });
      await rejectsWithCode(api.queues.getQueue({ name: "done" }), Code.NotFound);
      assert.deepEqual((await queueNames()).names, ["default"]);
    });

    it("fails with NotFound for an unknown queue and rejects a malformed name", async () => {
      await rejectsWithCode(api.queues.deleteQueue({ name: "nope" }), Code.NotFound);
      await rejectsWithViolations(api.queues.deleteQueue({ name: "" }), ["name"]);
    });
  });
});
