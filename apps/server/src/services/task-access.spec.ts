import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { rejectsWithCode } from "@sherpa/kit/testing";
import { TaskState } from "@sherpa/proto";
import { rejectsWithReason } from "./testing/assert-connect-error.js";
import {
  createTestTransport,
  type TestClients,
  type TestTransport,
  testUser,
} from "./testing/create-test-transport.js";

describe("TaskService access", () => {
  let api: TestTransport;
  let alice: TestClients;
  let bob: TestClients;
  let visionOnly: TestClients;
  let viewer: TestClients;
  let operator: TestClients;
  beforeEach(async () => {
    api = await createTestTransport();
    await api.queues.createQueue({ queue: { name: "vision", resourceGroups: ["all-nodes"] } });
    alice = api.as(testUser("alice", "submitter"));
    bob = api.as(testUser("bob", "submitter"));
    visionOnly = api.as(testUser("carol", "submitter", ["vision"]));
    viewer = api.as(testUser("victor", "viewer"));
    operator = api.as(testUser("olga", "operator"));
  });
  afterEach(() => api.close());

  const submitAs = async (clients: TestClients, queue = "default") => {
    const { task } = await clients.tasks.submitTask({
      queue,
      argv: ["train"],
      env: { WANDB_API_KEY: "secret-value" },
    });
    assert.ok(task);
    return task;
  };

  it("records the submitter as the owner", async () => {
    const task = await submitAs(alice);
    assert.equal(task.owner, "alice");
  });

  it("refuses a viewer's submit and audits the refusal", async () => {
    await rejectsWithCode(
      viewer.tasks.submitTask({ argv: ["train"] }),
      Code.PermissionDenied,
      /tasks\.submit/,
    );
    await rejectsWithReason(
      viewer.tasks.submitTask({ argv: ["train"] }),
      Code.PermissionDenied,
      "PERMISSION_MISSING",
    );
    const denied = api.audited.filter((entry) => entry.decision === "deny");
    assert.deepEqual(
      denied.map((entry) => [entry.principal?.subject, entry.rpc, entry.code]),
      [
        ["victor", "sherpa.v1.TaskService/SubmitTask", "permission_denied"],
        ["victor", "sherpa.v1.TaskService/SubmitTask", "permission_denied"],
      ],
    );
  });

  it("keeps a submitter to its granted queues, for submits, reads and watches", async () => {
    await rejectsWithReason(
      submitAs(visionOnly, "default"),
      Code.PermissionDenied,
      "QUEUE_NOT_GRANTED",
    );
    const inVision = await submitAs(visionOnly, "vision");
    const inDefault = await submitAs(alice, "default");
    await rejectsWithCode(visionOnly.tasks.getTask({ id: inDefault.id }), Code.PermissionDenied);
    const { tasks } = await visionOnly.tasks.listTasks({});
    assert.deepEqual(
      tasks.map((task) => task.id),
      [inVision.id],
    );
    const watch = visionOnly.tasks.watchTasks({ includeCurrent: true })[Symbol.asyncIterator]();
    const first = await watch.next();
    assert.equal(first.value?.task?.id, inVision.id);
    await watch.return?.();
    assert.equal(
      api.audited.filter((entry) => entry.decision === "deny").length,
      2,
      "both refusals are audited",
    );
  });

  it("shows env values to the owner and admins only", async () => {
    const task = await submitAs(alice);
    const own = await alice.tasks.getTask({ id: task.id });
    assert.deepEqual(own.task?.env, { WANDB_API_KEY: "secret-value" });
    assert.equal(own.task?.envValuesHidden, false);
    const admin = await api.tasks.getTask({ id: task.id });
    assert.deepEqual(admin.task?.env, { WANDB_API_KEY: "secret-value" });
    for (const other of [bob, operator, viewer]) {
      const seen = await other.tasks.getTask({ id: task.id });
      assert.deepEqual(seen.task?.env, { WANDB_API_KEY: "" });
      assert.equal(seen.task?.envValuesHidden, true);
      const listed = await other.tasks.listTasks({});
      assert.deepEqual(listed.tasks[0]?.env, { WANDB_API_KEY: "" });
    }
  });

  it("lets only the owner or an operator cancel a task", async () => {
    const task = await submitAs(alice);
    await rejectsWithCode(bob.tasks.cancelTask({ id: task.id }), Code.PermissionDenied, /alice/);
    await rejectsWithReason(
      bob.tasks.cancelTask({ id: task.id }),
      Code.PermissionDenied,
      "NOT_TASK_OWNER",
    );
    const cancelled = await operator.tasks.cancelTask({ id: task.id });
    assert.equal(cancelled.task?.state, TaskState.CANCELLED);
    assert.equal(cancelled.task?.stateReason, "cancelled by olga");
    const own = await submitAs(alice);
    const byOwner = await alice.tasks.cancelTask({ id: own.id });
    assert.equal(byOwner.task?.state, TaskState.CANCELLED);
  });

  it("filters ListTasks by owner, `me` being the caller", async () => {
    const mine = await submitAs(alice);
    await submitAs(bob);
    const { tasks } = await alice.tasks.listTasks({ owner: "me" });
    assert.deepEqual(
      tasks.map((task) => task.id),
      [mine.id],
    );
    const byName = await viewer.tasks.listTasks({ owner: "bob" });
    assert.deepEqual(
      byName.tasks.map((task) => task.owner),
      ["bob"],
    );
  });

  it("never hands someone else's task back for a reused request_id", async () => {
    await alice.tasks.submitTask({ argv: ["train"], requestId: "nightly-1" });
    await rejectsWithCode(
      bob.tasks.submitTask({ argv: ["train"], requestId: "nightly-1" }),
      Code.AlreadyExists,
    );
  });

  it("refuses queue and token changes to anyone but admins", async () => {
    await rejectsWithCode(
      operator.queues.createQueue({ queue: { name: "nlp", resourceGroups: ["all-nodes"] } }),
      Code.PermissionDenied,
    );
    await rejectsWithCode(
      alice.access.createToken({ name: "mallory", role: 4 }),
      Code.PermissionDenied,
    );
  });
});
