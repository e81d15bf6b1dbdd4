import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { pollUntil } from "@sherpa/kit/testing";
import {
  GpuState,
  type Node,
  NodeState,
  type SubmitTaskRequestSchema,
  type Task,
  TaskState,
} from "@sherpa/proto";
import { Code, ConnectError, createSherpaClient, type SherpaClient } from "@sherpa/sdk";
import { readTaskLogs } from "./support/read-task-logs.js";
import { type StartedServer, startServer } from "./support/start-server.js";
import { hasEnded, waitForTaskEnd } from "./support/wait-for-task.js";

const nodeName = "execution-node";
const gpuModel = "NVIDIA A100-SXM4-80GB";
const gpusOnNode = 4;
/**
 * Long enough for a task that obeys SIGTERM to be reported CANCELLED well within
 * it, even where init is slow to reap the task's orphaned children (which the
 * agent waits for).
 */
const cancelGraceMs = 3000;

/** Runs `script` with sh, as a user would to get a shell's features. */
function shell(script: string): string[] {
  return ["sh", "-c", script];
}

/** Whether any process of the group is left. */
function processGroupExists(groupId: number): boolean {
  try {
    process.kill(-groupId, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") {
      return false;
    }
    throw error;
  }
}

describe("tasks run on the server's embedded agent", () => {
  let server: StartedServer;
  let client: SherpaClient;

  before(async () => {
    server = await startServer({
      env: {
        SHERPA_EMBEDDED_AGENT: "true",
        SHERPA_AGENT_GPUS: `${gpusOnNode}x${gpuModel}`,
        SHERPA_AGENT_CANCEL_GRACE_MS: String(cancelGraceMs),
        SHERPA_NODE_NAME: nodeName,
        SHERPA_NODE_LABELS: "pool=a100,zone=lab",
        // The concurrency test makes hundreds of calls at once as one principal, the admin.
        SHERPA_RATE_LIMIT_PER_SECOND: "10000",
        SHERPA_RATE_LIMIT_BURST: "10000",
      },
    });
    client = createSherpaClient({
      baseUrl: server.baseUrl,
      token: server.adminToken,
      timeoutMs: 10_000,
    });
    await pollUntil(
      () => client.nodes.listNodes({}),
      ({ nodes }) => nodes.some((node) => node.name === nodeName && node.state === NodeState.READY),
      { what: `node ${nodeName} to be READY` },
    );
  });
  after(async () => {
    assert.equal(await server.stop(), 0, "the server and its agent stop cleanly on SIGTERM");
  });

  async function submit(request: MessageInitShape<typeof SubmitTaskRequestSchema>): Promise<Task> {
    const { task } = await client.tasks.submitTask(request);
    assert.ok(task, "SubmitTask returns the task");
    return task;
  }

  /** The first line the task prints, read while it runs. */
  async function firstLogLine(id: string): Promise<string> {
    // Returning from the loop does not end the call; aborting does.
    const reading = new AbortController();
    try {
      for await (const response of client.tasks.streamTaskLogs(
        { id, follow: true },
        { signal: reading.signal },
      )) {
        const [line] = response.lines;
        if (line !== undefined) {
          return line.text;
        }
      }
    } finally {
      reading.abort();
    }
    throw new Error(`task ${id} ended without output`);
  }

  test("a task gets the GPUs it asked for through CUDA_VISIBLE_DEVICES and succeeds", async () => {
    const submitted = await submit({
      argv: shell("echo $CUDA_VISIBLE_DEVICES; sleep 1; echo done"),
      gpuCount: 2,
    });

    const task = await waitForTaskEnd(client, submitted.id);
    assert.equal(task.state, TaskState.SUCCEEDED, task.stateReason);
    assert.equal(task.exitCode, 0);
    assert.equal(task.nodeName, nodeName);
    assert.equal(task.gpuUuids.length, 2);

    const lines = (await readTaskLogs(client, task.id)).map((line) => line.text);
    assert.equal(lines.length, 2, JSON.stringify(lines));
    assert.match(lines[0] ?? "", /^\d+,\d+$/, "CUDA_VISIBLE_DEVICES lists two GPU indices");
    assert.equal(lines[1], "done");
    const indices = (lines[0] ?? "").split(",").map(Number);
    assert.notEqual(indices[0], indices[1], "the two GPUs are distinct");

    // The indices the process saw are those of the GPUs the task holds.
    const { node } = await client.nodes.getNode({ name: nodeName });
    const uuidsOfIndices = indices.map(
      (index) => node?.gpus.find((gpu) => gpu.index === index)?.uuid,
    );
    assert.deepEqual([...uuidsOfIndices].sort(), [...task.gpuUuids].sort());
  });

  test("a command exiting with 3 fails with exit code 3", async () => {
    const submitted = await submit({ argv: shell("exit 3"), gpuCount: 1 });

    const task = await waitForTaskEnd(client, submitted.id);
    assert.equal(task.state, TaskState.FAILED, task.stateReason);
    assert.equal(task.exitCode, 3);
  });

  test("cancelling a running task ends it within the grace period, process group and all", async () => {
    const submitted = await submit({ argv: shell("echo $$; sleep 60"), gpuCount: 1 });
    const processGroupId = Number(await firstLogLine(submitted.id));
    assert.ok(processGroupExists(processGroupId), "the task's process runs");

    const cancelledAt = Date.now();
    await client.tasks.cancelTask({ id: submitted.id, reason: "no longer needed" });
    const task = await waitForTaskEnd(client, submitted.id);
    const elapsedMs = Date.now() - cancelledAt;

    assert.equal(task.state, TaskState.CANCELLED, task.stateReason);
    assert.match(task.stateReason, /no longer needed/);
    assert.ok(elapsedMs < cancelGraceMs, `a task that obeys SIGTERM ends in ${elapsedMs} ms`);
    assert.equal(processGroupExists(processGroupId), false, "no process of the task is left");
  });

  test("a cancelled task that ignores SIGTERM is killed once the grace period is over", async () => {
    const submitted = await submit({ argv: shell("trap '' TERM; echo $$; sleep 60"), gpuCount: 1 });
    const processGroupId = Number(await firstLogLine(submitted.id));

    const cancelledAt = Date.now();
    await client.tasks.cancelTask({ id: submitted.id });
    const task = await waitForTaskEnd(client, submitted.id);
    const elapsedMs = Date.now() - cancelledAt;

    assert.equal(task.state, TaskState.CANCELLED, task.stateReason);
    assert.ok(elapsedMs >= cancelGraceMs * 0.9, `SIGKILL waits for the grace (${elapsedMs} ms)`);
    assert.ok(elapsedMs < 2 * cancelGraceMs, `ended ${elapsedMs} ms after the cancel`);
    assert.equal(processGroupExists(processGroupId), false, "no process of the task is left");
  });

  test("a task running past its timeout ends TIMED_OUT", async () => {
    const timeoutMs = 1000;
    const submitted = await submit({
      argv: ["sleep", "30"],
      gpuCount: 1,
      timeout: { seconds: BigInt(timeoutMs / 1000) },
    });

    const task = await waitForTaskEnd(client, submitted.id);
    assert.equal(task.state, TaskState.TIMED_OUT, task.stateReason);
    assert.ok(task.startTime && task.endTime);
    const ranMs = timestampMs(task.endTime) - timestampMs(task.startTime);
    assert.ok(
      ranMs >= 0.9 * timeoutMs && ranMs < 5 * timeoutMs,
      `ran ${ranMs} ms with a ${timeoutMs} ms timeout`,
    );
  });

  test("a queue's GPU quota holds tasks back until its running tasks end", async () => {
    const queue = "quota-two";
    await client.queues.createQueue({
      queue: { name: queue, resourceGroups: ["all-nodes"], gpuQuota: 2 },
    });
    for (let i = 0; i < 3; i++) {
      await submit({ queue, argv: ["sleep", "2"], gpuCount: 1 });
    }

    let sawTwoRunningOnePending = false;
    const { tasks } = await pollUntil(
      async () => {
        const listed = await client.tasks.listTasks({ queue });
        const running = listed.tasks.filter((task) => task.state === TaskState.RUNNING).length;
        const pending = listed.tasks.filter((task) => task.state === TaskState.PENDING).length;
        assert.ok(running <= 2, `${running} tasks of a queue with a quota of 2 GPUs run at once`);
        sawTwoRunningOnePending ||= running === 2 && pending === 1;
        return listed;
      },
      (listed) => listed.tasks.every(hasEnded),
      { what: `every task of ${queue} to end`, timeoutMs: 15_000 },
    );

    assert.ok(sawTwoRunningOnePending, "two tasks ran while the third waited");
    assert.deepEqual(
      tasks.map((task) => task.state),
      [TaskState.SUCCEEDED, TaskState.SUCCEEDED, TaskState.SUCCEEDED],
    );
    const byStart = [...tasks].sort((a, b) => startMs(a) - startMs(b));
    const [first, second, third] = byStart;
    assert.ok(first && second && third);
    assert.ok(
      startMs(third) >= Math.min(endMs(first), endMs(second)),
      "the third task started only once one of the first two had ended",
    );
  });

  test("a task waits for the GPU model it asks for while other models run tasks", async () => {
    const wantsH100 = await submit({
      argv: ["true"],
      gpuCount: 1,
      gpuModel: "NVIDIA H100 80GB HBM3",
    });
    const wantsA100 = await submit({ argv: ["true"], gpuCount: 1, gpuModel });

    const ran = await waitForTaskEnd(client, wantsA100.id);
    assert.equal(ran.state, TaskState.SUCCEEDED, ran.stateReason);
    assert.equal(ran.nodeName, nodeName);
    const waiting = await getTask(wantsH100.id);
    assert.equal(waiting.state, TaskState.PENDING, "no node has an H100");
    assert.equal(waiting.nodeName, "");

    const { task: cancelled } = await client.tasks.cancelTask({ id: wantsH100.id });
    assert.equal(cancelled?.state, TaskState.CANCELLED);
  });

  test("a queue runs tasks only on the nodes its resource groups select", async () => {
    await client.resourceGroups.createResourceGroup({
      resourceGroup: { name: "h100-nodes", nodeSelector: { pool: "h100" } },
    });
    await client.resourceGroups.createResourceGroup({
      resourceGroup: { name: "a100-nodes", nodeSelector: { pool: "a100" } },
    });
    await client.queues.createQueue({
      queue: { name: "h100-queue", resourceGroups: ["h100-nodes"] },
    });
    await client.queues.createQueue({
      queue: { name: "a100-queue", resourceGroups: ["a100-nodes"] },
    });
    const elsewhere = await submit({ queue: "h100-queue", argv: ["true"], gpuCount: 1 });
    const here = await submit({ queue: "a100-queue", argv: ["true"], gpuCount: 1 });

    const ran = await waitForTaskEnd(client, here.id);
    assert.equal(ran.state, TaskState.SUCCEEDED, ran.stateReason);
    assert.equal(ran.nodeName, nodeName);
    const waiting = await getTask(elsewhere.id);
    assert.equal(waiting.state, TaskState.PENDING, "no node has the label pool=h100");
    const { resourceGroup } = await client.resourceGroups.getResourceGroup({ name: "h100-nodes" });
    assert.deepEqual(resourceGroup?.nodeNames, []);

    await client.tasks.cancelTask({ id: elsewhere.id });
  });

  test("hundreds of concurrent submits and cancels never give a GPU to two tasks", async () => {
    const taskCount = 300;
    const labels = { batch: "concurrency" };
    const violations: string[] = [];
    let samples = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [{ nodes }, { tasks }] = await Promise.all([
          client.nodes.listNodes({}),
          client.tasks.listTasks({ states: [TaskState.RUNNING], pageSize: 1000 }),
        ]);
        violations.push(...overAllocations(nodes, tasks));
        samples++;
      }
    })();

    let ids: string[];
    try {
      ids = await Promise.all(
        Array.from({ length: taskCount }, async (_, i) => {
          const task = await submit({ argv: ["true"], gpuCount: 1 + (i % 2), labels });
          if (i % 3 === 0) {
            // Some are cancelled at once, most likely while PENDING, others a round trip
            // later, when they may have started or ended.
            if (i % 2 === 1) {
              await getTask(task.id);
            }
            await cancelUnlessEnded(task.id);
          }
          return task.id;
        }),
      );
      const { tasks } = await pollUntil(
        () => client.tasks.listTasks({ labels, pageSize: 1000 }),
        (listed) => listed.tasks.length === taskCount && listed.tasks.every(hasEnded),
        { what: `all ${taskCount} tasks to end`, timeoutMs: 15_000, intervalMs: 200 },
      );
      const cancelledIds = new Set(ids.filter((_, i) => i % 3 === 0));
      for (const task of tasks) {
        const allowed = cancelledIds.has(task.id)
          ? [TaskState.CANCELLED, TaskState.SUCCEEDED]
          : [TaskState.SUCCEEDED];
        assert.ok(
          allowed.includes(task.state),
          `${task.id}: ${TaskState[task.state]} ${task.stateReason}`,
        );
      }
    } finally {
      sampling = false;
      await sampler;
    }

    assert.deepEqual(violations, []);
    assert.ok(samples >= 5, `sampled the fleet ${samples} times while tasks ran`);
    const { node } = await client.nodes.getNode({ name: nodeName });
    assert.deepEqual(
      node?.gpus.map((gpu) => gpu.state),
      Array(gpusOnNode).fill(GpuState.FREE),
      "every GPU is free once every task has ended",
    );
  });

  async function getTask(id: string): Promise<Task> {
    const { task } = await client.tasks.getTask({ id });
    assert.ok(task);
    return task;
  }

  /** Cancels the task; one that ended first cannot be, which is fine here. */
  async function cancelUnlessEnded(id: string) {
    try {
      await client.tasks.cancelTask({ id });
    } catch (error) {
      if (!(error instanceof ConnectError && error.code === Code.FailedPrecondition)) {
        throw error;
      }
    }
  }
});

function startMs(task: Task): number {
  assert.ok(task.startTime, `task ${task.id} has a start time`);
  return timestampMs(task.startTime);
}

function endMs(task: Task): number {
  assert.ok(task.endTime, `task ${task.id} has an end time`);
  return timestampMs(task.endTime);
}

/**
 * What is wrong with one view of the fleet: a GPU held by two running tasks, a
 * task holding GPUs of another node or not as many as it asked for, a node
 * giving out more GPUs than it has.
 */
function overAllocations(nodes: readonly Node[], runningTasks: readonly Task[]): string[] {
  const problems: string[] = [];
  const holderOf = new Map<string, string>();
  const gpusInUse = new Map<string, number>();
  for (const task of runningTasks) {
    if (task.gpuUuids.length !== task.gpuCount) {
      problems.push(`${task.id} asked for ${task.gpuCount} GPUs and holds ${task.gpuUuids.length}`);
    }
    const node = nodes.find((candidate) => candidate.name === task.nodeName);
    for (const uuid of task.gpuUuids) {
      const holder = holderOf.get(uuid);
      if (holder !== undefined) {
        problems.push(`${uuid} is held by ${holder} and ${task.id}`);
      }
      holderOf.set(uuid, task.id);
      if (node !== undefined && !node.gpus.some((gpu) => gpu.uuid === uuid)) {
        problems.push(`${task.id} holds ${uuid}, which is not a GPU of ${node.name}`);
      }
    }
    gpusInUse.set(task.nodeName, (gpusInUse.get(task.nodeName) ?? 0) + task.gpuUuids.length);
  }
  for (const node of nodes) {
    const inUse = gpusInUse.get(node.name) ?? 0;
    if (inUse > node.gpus.length) {
      problems.push(`${node.name} has ${node.gpus.length} GPUs and ${inUse} in use`);
    }
  }
  return problems;
}
