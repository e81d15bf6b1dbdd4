import assert from "node:assert/strict";
import { once } from "node:events";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { createAsyncQueue } from "@sherpa/kit";
import { rejectsWithCode } from "@sherpa/kit/testing";
import {
  type AgentSessionRequestSchema,
  type AgentSessionResponse,
  GpuState,
  LogStream,
  type Task,
  TaskState,
} from "@sherpa/proto";
import type { Principal } from "../access/principal.js";
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
  labels: Record<string, string> = {},
) {
  const requests = createAsyncQueue<SessionRequest>(100);
  const abort = new AbortController();
  requests.push({
    message: {
      case: "register",
      value: {
        nodeName,
        labels,
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
      requests.close();
      abort.abort();
    },
  };
}

/**
 * Resolves with the task once it is in `state`, following WatchTasks (its
 * current state first, then each change) rather than polling.
 */
async function untilState(server: TestTransport, id: string, state: TaskState): Promise<Task> {
  const abort = new AbortController();
  try {
    const watch = server.tasks.watchTasks(
      { taskIds: [id], includeCurrent: true },
      { signal: abort.signal },
    );
    for await (const { task } of watch) {
      if (task?.state === state) {
        return task;
      }
    }
  } finally {
    abort.abort();
  }
  throw new Error(`the watch of task ${id} ended before it was ${TaskState[state]}`);
}

const endedStates = [
  TaskState.SUCCEEDED,
  TaskState.FAILED,
  TaskState.CANCELLED,
  TaskState.TIMED_OUT,
];

/** Resolves once every one of the tasks has ended, following WatchTasks. */
async function untilAllEnded(server: TestTransport, ids: string[]): Promise<void> {
  if (ids.length === 0) {
    return;
  }
  const ended = new Set<string>();
  const abort = new AbortController();
  try {
    const watch = server.tasks.watchTasks(
      { taskIds: ids, includeCurrent: true },
      { signal: abort.signal },
    );
    for await (const { task } of watch) {
      // A change made while the current states were read can arrive after them,
      // so count a task once it was seen ended rather than by its latest event.
      if (task !== undefined && endedStates.includes(task.state)) {
        ended.add(task.id);
        if (ended.size === ids.length) {
          return;
        }
      }
    }
  } finally {
    abort.abort();
  }
  throw new Error(`the watch ended with ${ids.length - ended.size} of the tasks still running`);
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
    const ended = await untilState(server, task?.id ?? "", TaskState.SUCCEEDED);
    assert.equal(ended.exitCode, 0);
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
    const arrived = new EventTarget();
    const following = (async () => {
      for await (const batch of server.tasks.streamTaskLogs({ id, follow: true })) {
        received.push(...batch.lines.map((line) => line.text));
        arrived.dispatchEvent(new Event("lines"));
      }
    })();
    const firstLine = once(arrived, "lines");
    await server.agentsAs("node-a").uploadTaskLogs(
      (async function* () {
        yield { taskId: id, lines: [{ stream: LogStream.STDOUT, text: "epoch 1" }] };
      })(),
    );
    await firstLine;
    assert.deepEqual(received, ["epoch 1"], "the line was not sent while the task ran");
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
    const ended = await untilState(server, id, TaskState.CANCELLED);
    assert.equal(ended.stateReason, "wrong data");
    agent.disconnect();
  });

  it("streams every transition of a task to a watcher, in order", async () => {
    const agent = connectAgent(server, "node-a", 1);
    await agent.next();
    // A task holding the node's only GPU, so that the one watched waits PENDING,
    // and whose current state tells that the watch is following changes.
    const { task: blocker } = await server.tasks.submitTask({ argv: ["sleep"], gpuCount: 1 });
    await agent.next();
    const abort = new AbortController();
    const watch = server.tasks
      .watchTasks({ includeCurrent: true }, { signal: abort.signal })
      [Symbol.asyncIterator]();
    const current = await watch.next();
    assert.equal(current.value?.task?.id, blocker?.id);
    assert.equal(current.value?.current, true);

    const { task } = await server.tasks.submitTask({ argv: ["true"], gpuCount: 1 });
    agent.report(blocker?.id ?? "", TaskState.SUCCEEDED, 0);
    const assignment = await agent.next();
    assert.equal(assignment.case === "assignment" && assignment.value.task?.id, task?.id);
    agent.report(task?.id ?? "", TaskState.SUCCEEDED, 0);
    const states: TaskState[] = [];
    while (states.at(-1) !== TaskState.SUCCEEDED) {
      const event = await watch.next();
      assert.equal(event.done, false, "the watch ended");
      if (event.value.task?.id === task?.id) {
        states.push(event.value.task?.state ?? TaskState.UNSPECIFIED);
      }
    }
    abort.abort();
    assert.deepEqual(states, [TaskState.PENDING, TaskState.RUNNING, TaskState.SUCCEEDED]);
    agent.disconnect();
  });

  it("never gives a GPU to two tasks under many concurrent submits and cancels", async () => {
    const agent = connectAgent(server, "node-a", 4);
    await agent.next();
    // The agent runs each task for one turn of the event loop, so GPUs are
    // freed and handed out again while submits and cancels go on.
    const holderOfGpu = new Map<number, string>();
    const gpusOfTask = new Map<string, readonly number[]>();
    const doubleBooked: string[] = [];
    let assignments = 0;
    let disconnected = false;
    const end = (taskId: string, state: TaskState) => {
      const indices = gpusOfTask.get(taskId);
      if (indices === undefined) {
        return;
      }
      gpusOfTask.delete(taskId);
      for (const index of indices) {
        holderOfGpu.delete(index);
      }
      agent.report(taskId, state, state === TaskState.SUCCEEDED ? 0 : undefined);
    };
    const serving = (async () => {
      for (;;) {
        const message = await agent.next().catch((error: unknown) => {
          if (disconnected) {
            return undefined;
          }
          throw error;
        });
        if (message === undefined) {
          return;
        }
        if (message.case === "assignment") {
          const taskId = message.value.task?.id ?? "";
          assignments++;
          for (const index of message.value.gpuIndices) {
            const holder = holderOfGpu.get(index);
            if (holder !== undefined) {
              doubleBooked.push(`GPU ${index} given to ${taskId} while ${holder} held it`);
            }
            holderOfGpu.set(index, taskId);
          }
          gpusOfTask.set(taskId, message.value.gpuIndices);
          setImmediate(() => end(taskId, TaskState.SUCCEEDED));
        } else if (message.case === "cancellation") {
          end(message.value.taskId, TaskState.CANCELLED);
        }
      }
    })();

    const submit = async (index: number) => {
      const { task } = await server.tasks.submitTask({
        argv: ["job"],
        gpuCount: 1 + (index % 2),
        name: `job-${index}`,
      });
      return task?.id ?? "";
    };
    const cancel = (id: string) =>
      server.tasks.cancelTask({ id }).catch((error: unknown) => {
        // The task may have ended before the cancellation came; anything else is a bug.
        if (ConnectError.from(error).code !== Code.FailedPrecondition) {
          throw error;
        }
      });
    // Waves of 10 submits, each with cancels of every third task of the wave
    // before, so that the agent's reports (and the placements they allow) come
    // between them rather than after them all.
    try {
      let previousWave: string[] = [];
      for (let wave = 0; wave <= 20; wave++) {
        const submits =
          wave < 20 ? Array.from({ length: 10 }, (_, offset) => submit(wave * 10 + offset)) : [];
        const cancels = previousWave.filter((_, index) => index % 3 === 0).map(cancel);
        [previousWave] = await Promise.all([Promise.all(submits), Promise.all(cancels)]);
        // In memory, calls run as one chain of promise callbacks; this gives the agent its turn.
        await new Promise((resolve) => setImmediate(resolve));
      }
      // No new placements from here on; let the agent end the tasks placed so far.
      await server.scheduler.stop();
      const { tasks: running } = await server.tasks.listTasks({
        pageSize: 1000,
        states: [TaskState.RUNNING],
      });
      await Promise.race([
        untilAllEnded(
          server,
          running.map((task) => task.id),
        ),
        serving.then(() => {
          throw new Error("the agent's session ended");
        }),
      ]);
    } finally {
      disconnected = true;
      agent.disconnect();
    }
    await serving;

    assert.deepEqual(doubleBooked, [], "a GPU was held by two tasks at once");
    assert.ok(assignments > 0, "no task was placed on the node's 4 free GPUs");
    const { node } = await server.nodes.getNode({ name: "node-a" });
    assert.deepEqual(
      node?.gpus.map((gpu) => gpu.state),
      [GpuState.FREE, GpuState.FREE, GpuState.FREE, GpuState.FREE],
      "a GPU stayed held after its task ended",
    );
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

    it("bounds the agent's labels and its join token's together, as one node's", async () => {
      const labelsOf = (prefix: string) =>
        Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`${prefix}-${i}`, "x"]));
      const labelled = { ...testNode("node-a"), labels: labelsOf("token") };
      const agent = connectAgent(server, "node-a", 1, labelled, labelsOf("agent"));
      await rejectsWithCode(agent.next(), Code.InvalidArgument, /at most 64 labels/);
      await rejectsWithCode(server.nodes.getNode({ name: "node-a" }), Code.NotFound);
    });

    it("ends a node's session with Unauthenticated when its credential is revoked", async () => {
      const agent = connectAgent(server, "node-a", 1);
      await agent.next();
      server.sessions.disconnect("node-a", "the node's credential was revoked");
      await rejectsWithCode(agent.next(), Code.Unauthenticated, /revoked/);
    });
  });
});
