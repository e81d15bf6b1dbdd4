import assert from "node:assert/strict";
import { describe, type TestContext, test } from "node:test";
import { pollUntil } from "@sherpa/kit/testing";
import { GpuState, NodeState, type Task, TaskState } from "@sherpa/proto";
import { createSherpaClient, type SherpaClient } from "@sherpa/sdk";
import { createJoinToken } from "./support/create-join-token.js";
import { type StartedAgent, startAgent } from "./support/start-agent.js";
import { type StartedServer, startServer } from "./support/start-server.js";
import { waitForTask, waitForTaskEnd } from "./support/wait-for-task.js";

const nodeOfflineAfterMs = 2000;

/** A server without an embedded agent and two `sherpa-agent` processes, each a node of 2 GPUs. */
interface Fleet {
  server: StartedServer;
  client: SherpaClient;
  agents: StartedAgent[];
}

/** Starts the fleet and stops all of it, agents first, when the test ends. */
async function startFleet(t: TestContext): Promise<Fleet> {
  const server = await startServer({
    env: {
      SHERPA_EMBEDDED_AGENT: "false",
      SHERPA_NODE_OFFLINE_AFTER_MS: String(nodeOfflineAfterMs),
      SHERPA_HEARTBEAT_INTERVAL_MS: "300",
      // Bounds how long a call left open keeps the server from stopping.
      SHERPA_SHUTDOWN_GRACE_MS: "2000",
    },
  });
  const agents: StartedAgent[] = [];
  t.after(async () => {
    await Promise.all(agents.map((agent) => agent.stop()));
    await server.stop();
  });
  for (const nodeName of ["node-a", "node-b"]) {
    agents.push(
      await startAgent({
        serverUrl: server.baseUrl,
        nodeName,
        gpus: "2xNVIDIA A100-SXM4-80GB",
        joinToken: await createJoinToken(server),
        env: { SHERPA_AGENT_CANCEL_GRACE_MS: "1000" },
      }),
    );
  }
  const client = createSherpaClient({
    baseUrl: server.baseUrl,
    token: server.adminToken,
    timeoutMs: 10_000,
  });
  await pollUntil(
    () => client.nodes.listNodes({}),
    ({ nodes }) =>
      nodes.filter((node) => node.state === NodeState.READY && node.gpus.length === 2).length === 2,
    { what: "both agents' nodes to be READY with 2 GPUs each" },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${agents.map((agent) => agent.output()).join("\n")}`);
  });
  return { server, client, agents };
}

async function submitTwoGpuTask(client: SherpaClient, argv: string[]): Promise<Task> {
  const { task } = await client.tasks.submitTask({ argv, gpuCount: 2 });
  assert.ok(task);
  return task;
}

describe("standalone agents", () => {
  test("two agents' nodes share the work", async (t) => {
    const { client } = await startFleet(t);

    const submitted = [];
    for (let i = 0; i < 4; i++) {
      submitted.push(await submitTwoGpuTask(client, ["sleep", "1"]));
    }
    const ended = await Promise.all(
      submitted.map((task) => waitForTaskEnd(client, task.id, 15_000)),
    );

    for (const task of ended) {
      assert.equal(task.state, TaskState.SUCCEEDED, task.stateReason);
    }
    assert.deepEqual(new Set(ended.map((task) => task.nodeName)), new Set(["node-a", "node-b"]));
  });

  test("a killed agent's node goes OFFLINE, its task fails as node lost and its GPUs are freed", async (t) => {
    const { server, client, agents } = await startFleet(t);
    const submitted = await submitTwoGpuTask(client, ["sh", "-c", "echo $$; sleep 30"]);
    const running = await waitForTask(
      client,
      submitted.id,
      (task) => task.state !== TaskState.PENDING,
    );
    assert.equal(running.state, TaskState.RUNNING, running.stateReason);
    const lostAgent = agents.find((agent) => agent.nodeName === running.nodeName);
    assert.ok(lostAgent, `the task runs on ${running.nodeName}, one of the agents' nodes`);
    // The task's processes outlive their agent; they are this test's to stop.
    const processGroupId = await taskProcessGroup(client, running.id);
    t.after(() => killProcessGroup(processGroupId));

    lostAgent.kill("SIGKILL");
    await lostAgent.exited;

    const failed = await waitForTaskEnd(client, running.id, nodeOfflineAfterMs + 5000);
    assert.equal(failed.state, TaskState.FAILED);
    assert.equal(failed.stateReason, "node lost");
    const { node } = await client.nodes.getNode({ name: running.nodeName });
    assert.equal(node?.state, NodeState.OFFLINE);
    assert.deepEqual(
      node?.gpus.map((gpu) => [gpu.state, gpu.taskId]),
      [
        [GpuState.FREE, ""],
        [GpuState.FREE, ""],
      ],
    );

    // The node left standing takes the next task.
    const next = await submitTwoGpuTask(client, ["true"]);
    const ran = await waitForTaskEnd(client, next.id);
    assert.equal(ran.state, TaskState.SUCCEEDED, ran.stateReason);
    assert.notEqual(ran.nodeName, running.nodeName);

    // Its connection is gone, so its session ends on the server (and holds up no shutdown).
    await assert.doesNotReject(
      server.waitForLogLine(
        (line) => line.rpc === "sherpa.v1.AgentService/AgentSession" && line.msg === "rpc finished",
        1000,
      ),
      "the server ends the AgentSession call of the killed agent",
    );
  });
});

/** The process group of a task that prints `$$` first: its shell's process ID. */
async function taskProcessGroup(client: SherpaClient, id: string): Promise<number> {
  // Returning from the loop does not end the call; aborting does.
  const reading = new AbortController();
  try {
    for await (const response of client.tasks.streamTaskLogs(
      { id, follow: true },
      { signal: reading.signal },
    )) {
      const [line] = response.lines;
      if (line !== undefined) {
        return Number(line.text);
      }
    }
  } finally {
    reading.abort();
  }
  throw new Error(`task ${id} ended without printing its process ID`);
}

function killProcessGroup(groupId: number) {
  try {
    process.kill(-groupId, "SIGKILL");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") {
      throw error;
    }
  }
}
