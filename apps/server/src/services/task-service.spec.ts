import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { rejectsWithCode } from "@sherpa/kit/testing";
import { QueueState, type SubmitTaskRequestSchema, TaskState } from "@sherpa/proto";
import { rejectsWithReason, rejectsWithViolations } from "./testing/assert-connect-error.js";
import { createTestTransport, type TestTransport } from "./testing/create-test-transport.js";

type SubmitInit = MessageInitShape<typeof SubmitTaskRequestSchema>;

describe("TaskService", () => {
  let api: TestTransport;
  beforeEach(async () => {
    api = await createTestTransport();
  });
  afterEach(() => api.close());

  const submit = async (request: SubmitInit) => {
    const { task } = await api.tasks.submitTask(request);
    assert.ok(task);
    return task;
  };

  describe("SubmitTask", () => {
    it("puts a PENDING task in the default queue, named after argv[0]", async () => {
      const task = await submit({ argv: ["python", "train.py"], gpuCount: 2 });
      assert.equal(task.queue, "default");
      assert.equal(task.name, "python");
      assert.deepEqual(task.argv, ["python", "train.py"]);
      assert.equal(task.gpuCount, 2);
      assert.equal(task.state, TaskState.PENDING);
      assert.notEqual(task.id, "");
      assert.deepEqual(task.createTime && timestampDate(task.createTime), api.clock.now());
      assert.equal(task.endTime, undefined);
    });

    it("keeps what the submitter chose", async () => {
      const task = await submit({
        name: "nightly",
        argv: ["run"],
        env: { BATCH_SIZE: "64" },
        gpuModel: "NVIDIA H100 80GB HBM3",
        timeout: { seconds: 90n },
        labels: { team: "vision" },
        requestId: "req-1",
      });
      assert.equal(task.name, "nightly");
      assert.deepEqual(task.env, { BATCH_SIZE: "64" });
      assert.equal(task.gpuModel, "NVIDIA H100 80GB HBM3");
      assert.equal(task.timeout?.seconds, 90n);
      assert.deepEqual(task.labels, { team: "vision" });
      assert.equal(task.requestId, "req-1");
      const { task: read } = await api.tasks.getTask({ id: task.id });
      assert.deepEqual(read, task);
    });

    const badRequests: { name: string; request: SubmitInit; fields: string[] }[] = [
      { name: "no argv", request: {}, fields: ["argv"] },
      { name: "an empty argv[0]", request: { argv: ["", "x"] }, fields: ["argv"] },
      {
        name: "a negative gpu_count",
        request: { argv: ["a"], gpuCount: -1 },
        fields: ["gpu_count"],
      },
      { name: "gpu_count over 64", request: { argv: ["a"], gpuCount: 65 }, fields: ["gpu_count"] },
      {
        name: "an env name starting with a digit",
        request: { argv: ["a"], env: { "1PATH": "x" } },
        fields: ["env[1PATH]"],
      },
      {
        name: "a label key with a space",
        request: { argv: ["a"], labels: { "my team": "x" } },
        fields: ["labels[my team]"],
      },
      { name: "a zero timeout", request: { argv: ["a"], timeout: {} }, fields: ["timeout"] },
      {
        name: "a negative timeout",
        request: { argv: ["a"], timeout: { seconds: -5n } },
        fields: ["timeout"],
      },
      {
        name: "a malformed queue name",
        request: { argv: ["a"], queue: "Batch" },
        fields: ["queue"],
      },
      {
        name: "a request_id over 128 characters",
        request: { argv: ["a"], requestId: "r".repeat(129) },
        fields: ["request_id"],
      },
      {
        name: "several mistakes",
        request: { gpuCount: 100, env: { "A-B": "x" }, name: "n".repeat(201) },
        fields: ["argv", "env[A-B]", "gpu_count", "name"],
      },
    ];
    for (const { name, request, fields } of badRequests) {
      it(`rejects ${name} naming ${fields.join(", ")}, and stores nothing`, async () => {
        await rejectsWithViolations(api.tasks.submitTask(request), fields);
        const { tasks } = await api.tasks.listTasks({});
        assert.equal(tasks.length, 0);
      });
    }

    it("accepts the limits: 64 GPUs and a timeout of 30 days", async () => {
      const task = await submit({ argv: ["a"], gpuCount: 64, timeout: { seconds: 30n * 86400n } });
      assert.equal(task.gpuCount, 64);
    });

    it("fails with NotFound for an unknown queue", async () => {
      await rejectsWithCode(
        api.tasks.submitTask({ argv: ["a"], queue: "nope" }),
        Code.NotFound,
        /queue "nope"/,
      );
    });

    it("fails with FailedPrecondition for a closed queue", async () => {
      await api.queues.updateQueue({
        queue: { name: "default", state: QueueState.CLOSED },
        updateMask: { paths: ["state"] },
      });
      await rejectsWithCode(
        api.tasks.submitTask({ argv: ["a"] }),
        Code.FailedPrecondition,
        /closed/,
      );
      await rejectsWithReason(
        api.tasks.submitTask({ argv: ["a"] }),
        Code.FailedPrecondition,
        "QUEUE_CLOSED",
      );
    });

    it("returns the first task when a request_id is submitted again", async () => {
      const first = await submit({ argv: ["a"], requestId: "retry-1" });
      const second = await submit({ argv: ["a"], requestId: "retry-1" });
      assert.equal(second.id, first.id);
      const { tasks } = await api.tasks.listTasks({});
      assert.deepEqual(
        tasks.map((t) => t.id),
        [first.id],
      );
    });
  });

  describe("GetTask", () => {
    it("fails with NotFound for an unknown id", async () => {
      await rejectsWithCode(
        api.tasks.getTask({ id: "no-such-task" }),
        Code.NotFound,
        /no-such-task/,
      );
    });

    it("rejects an empty id naming id", async () => {
      await rejectsWithViolations(api.tasks.getTask({ id: "" }), ["id"]);
    });
  });

  describe("ListTasks", () => {
    const submitNamed = async (names: string[], extra: SubmitInit = {}) => {
      const ids: string[] = [];
      for (const name of names) {
        ids.push((await submit({ argv: ["a"], name, ...extra })).id);
      }
      return ids;
    };

    it("lists tasks newest first", async () => {
      await submitNamed(["first", "second", "third"]);
      const { tasks, nextPageToken } = await api.tasks.listTasks({});
      assert.deepEqual(
        tasks.map((t) => t.name),
        ["third", "second", "first"],
      );
      assert.equal(nextPageToken, "");
    });

    it("walks every task once with page_size 2, ending on an empty token", async () => {
      const ids = await submitNamed(["t1", "t2", "t3", "t4", "t5"]);
      const pages: string[][] = [];
      let pageToken = "";
      do {
        const page = await api.tasks.listTasks({ pageSize: 2, pageToken });
        pages.push(page.tasks.map((t) => t.id));
        pageToken = page.nextPageToken;
      } while (pageToken !== "" && pages.length < 10);
      assert.deepEqual(
        pages.map((p) => p.length),
        [2, 2, 1],
      );
      assert.deepEqual(pages.flat(), [...ids].reverse());
    });

    it("filters by queue, states and labels", async () => {
      await api.queues.createQueue({ queue: { name: "batch" } });
      const [vision, nlp] = await submitNamed(["vision", "nlp"], { labels: { team: "ml" } });
      const [batch] = await submitNamed(["batch"], { queue: "batch", labels: { team: "ops" } });
      await api.tasks.cancelTask({ id: nlp ?? "" });

      const cases: { filter: Parameters<typeof api.tasks.listTasks>[0]; ids: unknown[] }[] = [
        { filter: { queue: "batch" }, ids: [batch] },
        { filter: { queue: "default" }, ids: [nlp, vision] },
        { filter: { queue: "unused" }, ids: [] },
        { filter: { states: [TaskState.CANCELLED] }, ids: [nlp] },
        { filter: { states: [TaskState.PENDING] }, ids: [batch, vision] },
        { filter: { states: [TaskState.PENDING, TaskState.CANCELLED] }, ids: [batch, nlp, vision] },
        { filter: { labels: { team: "ml" } }, ids: [nlp, vision] },
        { filter: { labels: { team: "ml", zone: "a" } }, ids: [] },
        { filter: { queue: "default", states: [TaskState.PENDING] }, ids: [vision] },
      ];
      for (const { filter, ids } of cases) {
        const { tasks } = await api.tasks.listTasks(filter);
        assert.deepEqual(
          tasks.map((t) => t.id),
          ids,
          `filter ${JSON.stringify(filter)}`,
        );
      }
    });

    it("keeps the filters across pages", async () => {
      await submitNamed(["a1", "a2", "a3"], { labels: { team: "a" } });
      await submitNamed(["b1", "b2"], { labels: { team: "b" } });
      const first = await api.tasks.listTasks({ pageSize: 2, labels: { team: "a" } });
      const second = await api.tasks.listTasks({
        pageSize: 2,
        labels: { team: "a" },
        pageToken: first.nextPageToken,
      });
      assert.deepEqual(
        [...first.tasks, ...second.tasks].map((t) => t.name),
        ["a3", "a2", "a1"],
      );
      assert.equal(second.nextPageToken, "");
    });

    const badRequests: {
      name: string;
      request: Parameters<typeof api.tasks.listTasks>[0];
      fields: string[];
    }[] = [
      { name: "page_size 1001", request: { pageSize: 1001 }, fields: ["page_size"] },
      { name: "page_size -1", request: { pageSize: -1 }, fields: ["page_size"] },
      {
        name: "a page_token we did not issue",
        request: { pageToken: "garbage!" },
        fields: ["page_token"],
      },
      {
        name: "a page_token of another listing",
        request: { pageToken: Buffer.from('"default"').toString("base64url") },
        fields: ["page_token"],
      },
      {
        name: "an UNSPECIFIED state",
        request: { states: [TaskState.UNSPECIFIED] },
        fields: ["states[0]"],
      },
      { name: "a malformed queue", request: { queue: "Not A Queue" }, fields: ["queue"] },
      { name: "a malformed label key", request: { labels: { "-x": "y" } }, fields: ["labels[-x]"] },
    ];
    for (const { name, request, fields } of badRequests) {
      it(`rejects ${name} naming ${fields.join(", ")}`, async () => {
        await rejectsWithViolations(api.tasks.listTasks(request), fields);
      });
    }

    it("accepts page_size 1000", async () => {
      await submitNamed(["only"]);
      const { tasks } = await api.tasks.listTasks({ pageSize: 1000 });
      assert.equal(tasks.length, 1);
    });
  });

  describe("CancelTask", () => {
    it("cancels a pending task with the reason given and the time of cancelling", async () => {
      const { id } = await submit({ argv: ["a"] });
      api.clock.advance(5_000);
      const { task } = await api.tasks.cancelTask({ id, reason: "wrong dataset" });
      assert.equal(task?.state, TaskState.CANCELLED);
      assert.equal(task?.stateReason, "wrong dataset");
      assert.deepEqual(task?.endTime && timestampDate(task.endTime), api.clock.now());
      const { task: read } = await api.tasks.getTask({ id });
      assert.equal(read?.state, TaskState.CANCELLED);
    });

    it("gives a default reason when none is given", async () => {
      const { id } = await submit({ argv: ["a"] });
      const { task } = await api.tasks.cancelTask({ id });
      assert.equal(task?.stateReason, "cancelled by test-admin");
    });

    it("fails with FailedPrecondition when the task has already ended", async () => {
      const { id } = await submit({ argv: ["a"] });
      await api.tasks.cancelTask({ id, reason: "first" });
      await rejectsWithCode(api.tasks.cancelTask({ id }), Code.FailedPrecondition, /CANCELLED/);
      await rejectsWithReason(api.tasks.cancelTask({ id }), Code.FailedPrecondition, "TASK_ENDED");
      await rejectsWithReason(api.tasks.getTask({ id: "nope" }), Code.NotFound, "TASK_NOT_FOUND");
      const { task } = await api.tasks.getTask({ id });
      assert.equal(task?.stateReason, "first");
    });

    it("fails with NotFound for an unknown id", async () => {
      await rejectsWithCode(api.tasks.cancelTask({ id: "no-such-task" }), Code.NotFound);
    });

    it("rejects an empty id and a reason over 200 characters", async () => {
      await rejectsWithViolations(api.tasks.cancelTask({ id: "", reason: "r".repeat(201) }), [
        "id",
        "reason",
      ]);
    });
  });
});
