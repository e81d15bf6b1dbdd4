import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import {
  type AgentSessionRequestSchema,
  type AgentSessionResponse,
  GpuState,
  LogStream,
  TaskState,
} from "@sherpa/proto";
import type { Principal } from "../access/principal.js";
import { AsyncQueue } from "../events/async-queue.js";
import { rejectsWithCode } from "./testing/assert-connect-error.js";
import {
  createTestTransport,
  type TestTransport,
  testNode,
} from "./testing/create-test-transport.js";

type SessionRequest = MessageInitShape<typeof AgentSessionRequestSchema>;

/** A scripted agent: the test decides what it says and reads what the server sends it. */
function connectAgent(
  server: TestTransport,
  nodeName: string,
  gpuCount: number,
  caller: string | Principal = nodeName,
) {
  const requests = new AsyncQueue<SessionRequest>(100);
  const abort = new AbortController();
  requests.push({
    message: {
      case: "register",
      value: {
        nodeName,
        simulated: true,
        gpus: Array.from({ length: gpuCount }, (_, index) => ({
          uuid: `${nodeName}-gpu${index}`,
          index,
          model: "NVIDIA A100-SXM4-80GB",
          memoryBytes: 80n << 30n,
        })),
      },
    },
  });
  const responses = server
    .agentsAs(caller)
    .agentSession(requests, { signal: abort.signal })
    [Symbol.asyncIterator]();
  return {
    async next(): Promise<AgentSessionResponse["message"]> {
      const result = await responses.next();
      assert.equal(result.done, false, "the session ended");
      return (result.value as AgentSessionResponse).message;
    },
    report(taskId: string, state: TaskState, exitCode?: number) {
      requests.push({
        message: { case: "taskStatus", value: { taskId, state, exitCode, reason: "" } },
      });
    },
    disconnect() {
      requests.end();
      abort.abort();
    },
  };
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const value = await read();
    if (done(value)) {
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("condition not reached");
}

describe("AgentService with the scheduler", () => {
  let server: TestTransport;
  beforeEach(async () => {
    server = await createTestTransport();
  });
  afterEach(async () => {
    await server.close();
  });

  it("registers a node, assigns a submitted task and records how it ended", async () => {
    const agent = connectAgent(server, "node-a", 4);
    assert.equal((await agent.next()).case, "registered");
    const { task } = await server.tasks.submitTask({ argv: ["echo", "hi"], gpuCount: 2 });
    const assignment = await agent.next();
    assert.equal(assignment.case, "assignment");
    assert.equal(assignment.value.task?.id, task?.id);
    assert.deepEqual(assignment.value.gpuIndices, [0, 1]);
    const running = await server.tasks.getTask({ id: task?.id ?? "" });
    assert.equal(running.task?.state, TaskState.RUNNING);
    assert.equal(running.task?.nodeName, "node-a");

    const uploaded = await server.agentsAs("node-a").uploadTaskLogs(
      (async function* () {
        yield { taskId: task?.id ?? "", lines: [{ stream: LogStream.STDOUT, text: "0,1" }] };
        yield { taskId: task?.id ?? "", lines: [{ stream: LogStream.STDOUT, text: "done" }] };
      })(),
    );
    assert.equal(uploaded.linesStored, 2n);
    agent.report(task?.id ?? "", TaskState.SUCCEEDED, 0);
    const ended = await waitFor(
      () => server.tasks.getTask({ id: task?.id ?? "" }),
      (response) => response.task?.state === TaskState.SUCCEEDED,
    );
    assert.equal(ended.task?.exitCode, 0);
    const { node } = await server.nodes.getNode({ name: "node-a" });
    assert.deepEqual(
      node?.gpus.map((gpu) => gpu.state),
      [GpuState.FREE, GpuState.FREE, GpuState.FREE, GpuState.FREE],
    );
    const lines: string[] = [];
    for await (const batch of server.tasks.streamTaskLogs({ id: task?.id ?? "", follow: true })) {
      lines.push(...batch.lines.map((line) => line.text));
    }
    assert.deepEqual(lines, ["0,1", "done"]);
    agent.disconnect();
  });

  it("follows logs live and ends the stream when the task ends", async () => {
    const agent = connectAgent(server, "node-a", 1);
    await agent.next();
    const { task } = await server.tasks.submitTask({ argv: ["train"], gpuCount: 1 });
    const id = task?.id ?? "";
    await agent.next();
    const received: string[] = [];
    const following = (async () => {
      for await (const batch of server.tasks.streamTaskLogs({ id, follow: true })) {
        received.push(...batch.lines.map((line) => line.text));
      }
    })();
    await server.agentsAs("node-a").uploadTaskLogs(
      (async function* () {
        yield { taskId: id, lines: [{ stream: LogStream.STDOUT, text: "epoch 1" }] };
      })(),
    );
    await waitFor(
      async () => received.length,
      (count) => count === 1,
    );
    agent.report(id, TaskState.FAILED, 3);
    await following;
    assert.deepEqual(received, ["epoch 1"]);
    agent.disconnect();
  });

  it("sends a cancellation for a running task and records CANCELLED with the user's reason", async () => {
    const agent = connectAgent(server, "node-a", 1);
    await agent.next();
    const { task } = await server.tasks.submitTask({ argv: ["sleep", "100"], gpuCount: 1 });
    const id = task?.id ?? "";
    await agent.next();
    const cancelling = await server.tasks.cancelTask({ id, reason: "wrong data" });
    assert.equal(cancelling.task?.state, TaskState.RUNNING);
    const cancellation = await agent.next();
    assert.equal(cancellation.case, "cancellation");
    assert.equal(cancellation.value.taskId, id);
    agent.report(id, TaskState.CANCELLED);
    const ended = await waitFor(
      () => server.tasks.getTask({ id }),
      (response) => response.task?.state === TaskState.CANCELLED,
    );
    assert.equal(ended.task?.stateReason, "wrong data");
    agent.disconnect();
  });

  it("streams every transition of a task to a watcher, in order", async () => {
    const agent = connectAgent(server, "node-a", 1);
    await agent.next();
    const abort = new AbortController();
    const states: TaskState[] = [];
    const watching = (async () => {
      try {
        for await (const event of server.tasks.watchTasks({}, { signal: abort.signal })) {
          states.push(event.task?.state ?? TaskState.UNSPECIFIED);
          if (states.length === 3) {
            abort.abort();
          }
        }
      } catch {
        // Aborting the watch ends it with Canceled.
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const { task } = await server.tasks.submitTask({ argv: ["true"], gpuCount: 1 });
    await agent.next();
    agent.report(task?.id ?? "", TaskState.SUCCEEDED, 0);
    await watching;
    assert.deepEqual(states, [TaskState.PENDING, TaskState.RUNNING, TaskState.SUCCEEDED]);
    agent.disconnect();
  });

  it("never gives a GPU to two tasks under many concurrent submits and cancels", async () => {
    const agent = connectAgent(server, "node-a", 4);
    await agent.next();
    const submitted = await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        server.tasks.submitTask({ argv: ["job"], gpuCount: 1 + (index % 2), name: `job-${index}` }),
      ),
    );
    await Promise.all(
      submitted
        .filter((_, index) => index % 3 === 0)
        .map((response) =>
          server.tasks.cancelTask({ id: response.task?.id ?? "" }).catch(() => undefined),
        ),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { tasks } = await server.tasks.listTasks({ pageSize: 1000, states: [TaskState.RUNNING] });
    const held = tasks.flatMap((task) => task.gpuUuids);
    assert.equal(new Set(held).size, held.length, "a GPU is held by two tasks");
    assert.ok(held.length <= 4, `${held.length} GPUs held on a 4-GPU node`);
    agent.disconnect();
  });

  describe("node identity", () => {
    it("refuses an agent registering as another node, and leaves that node alone", async () => {
      const owner = connectAgent(server, "node-a", 2);
      assert.equal((await owner.next()).case, "registered");
      const impostor = connectAgent(server, "node-a", 8, testNode("node-evil"));
      await rejectsWithCode(impostor.next(), Code.PermissionDenied, /belongs to node "node-evil"/);
      const { node } = await server.nodes.getNode({ name: "node-a" });
      assert.equal(node?.gpus.length, 2, "the impostor's GPUs were not registered");
      const { task } = await server.tasks.submitTask({ argv: ["train"], gpuCount: 1 });
      const assigned = await owner.next();
      assert.equal(assigned.case, "assignment");
      assert.equal(assigned.case === "assignment" && assigned.value.task?.id, task?.id);
      owner.disconnect();
    });

    it("refuses logs for a task that runs on another node", async () => {
      const agent = connectAgent(server, "node-a", 1);
      await agent.next();
      const { task } = await server.tasks.submitTask({ argv: ["train"], gpuCount: 1 });
      await agent.next();
      await rejectsWithCode(
        server.agentsAs("node-b").uploadTaskLogs(
          (async function* () {
            yield { taskId: task?.id ?? "", lines: [{ stream: LogStream.STDOUT, text: "forged" }] };
          })(),
        ),
        Code.PermissionDenied,
      );
      const logs: string[] = [];
      for await (const batch of server.tasks.streamTaskLogs({ id: task?.id ?? "" })) {
        logs.push(...batch.lines.map((line) => line.text));
      }
      assert.deepEqual(logs, []);
      agent.disconnect();
    });

    it("keeps the labels the join token gave over the agent's own", async () => {
      const labelled = { ...testNode("node-a"), labels: { zone: "lab", gpu: "a100" } };
      const agent = connectAgent(server, "node-a", 1, labelled);
      await agent.next();
      const { node } = await server.nodes.getNode({ name: "node-a" });
      assert.deepEqual(node?.labels, { zone: "lab", gpu: "a100" });
      agent.disconnect();
    });

    it("ends a node's session with Unauthenticated when its credential is revoked", async () => {
      const agent = connectAgent(server, "node-a", 1);
      await agent.next();
      server.sessions.disconnect("node-a", "the node's credential was revoked");
      await rejectsWithCode(agent.next(), Code.Unauthenticated, /revoked/);
    });
  });
});
