import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { pollUntil } from "@sherpa/kit/testing";
import { NodeState, type Task, TaskState } from "@sherpa/proto";
import { createSherpaClient, type SherpaClient, type SherpaProtocol } from "@sherpa/sdk";
import { type OpenWebSocket, openWebSocket } from "./support/open-web-socket.js";
import { type StartedServer, startServer } from "./support/start-server.js";
import { hasEnded, waitForTaskEnd } from "./support/wait-for-task.js";

/** Prints a line every 0.3 s, so that it is still running when its first lines arrive. */
const printingSlowly = ["sh", "-c", "for i in 1 2 3 4 5; do echo line $i; sleep 0.3; done"];
const printedLines = ["line 1", "line 2", "line 3", "line 4", "line 5"];
/** A model the node does not have: a task asking for it waits for as long as it is needed. */
const absentGpuModel = "NVIDIA H100 80GB HBM3";

describe("following tasks while they run", () => {
  let server: StartedServer;
  let client: SherpaClient;
  let webSocketUrl: string;
  const openSockets: OpenWebSocket[] = [];

  before(async () => {
    server = await startServer({
      env: {
        SHERPA_EMBEDDED_AGENT: "true",
        SHERPA_AGENT_GPUS: "4xNVIDIA A100-SXM4-80GB",
        SHERPA_NODE_NAME: "streams-node",
      },
    });
    client = createSherpaClient({
      baseUrl: server.baseUrl,
      token: server.adminToken,
      timeoutMs: 15_000,
    });
    webSocketUrl = server.baseUrl.replace(/^http/, "ws");
    await pollUntil(
      () => client.nodes.listNodes({}),
      ({ nodes }) => nodes.some((node) => node.state === NodeState.READY),
      { what: "the embedded agent's node to be READY" },
    );
  });
  after(async () => {
    await Promise.all(openSockets.map((socket) => socket.terminate()));
    assert.equal(await server.stop(), 0, "no stream keeps the server from stopping");
  });

  async function submit(queue = "", gpuModel = ""): Promise<Task> {
    const argv = gpuModel === "" ? printingSlowly : ["true"];
    const { task } = await client.tasks.submitTask({ queue, argv, gpuCount: 1, gpuModel });
    assert.ok(task);
    return task;
  }

  async function open(path: string): Promise<OpenWebSocket> {
    const socket = await openWebSocket(`${webSocketUrl}${path}`, { token: server.adminToken });
    openSockets.push(socket);
    return socket;
  }

  for (const protocol of ["connect", "grpc", "grpc-web"] as const satisfies SherpaProtocol[]) {
    test(`StreamTaskLogs over ${protocol} delivers lines while the task still prints`, async () => {
      const follower = createSherpaClient({
        baseUrl: server.baseUrl,
        protocol,
        token: server.adminToken,
        timeoutMs: 15_000,
      });
      const submitted = await submit();

      const received: { offset: bigint; text: string; receivedAt: number }[] = [];
      for await (const response of follower.tasks.streamTaskLogs({
        id: submitted.id,
        follow: true,
      })) {
        for (const line of response.lines) {
          received.push({ offset: line.offset, text: line.text, receivedAt: Date.now() });
        }
      }

      const task = await waitForTaskEnd(client, submitted.id);
      assert.equal(task.state, TaskState.SUCCEEDED, task.stateReason);
      assert.deepEqual(
        received.map((line) => line.text),
        printedLines,
      );
      assert.deepEqual(
        received.map((line) => line.offset),
        [0n, 1n, 2n, 3n, 4n],
      );
      assert.ok(task.endTime);
      const endedAt = timestampMs(task.endTime);
      const firstAt = received[0]?.receivedAt ?? Number.POSITIVE_INFINITY;
      assert.ok(firstAt < endedAt, `the first line came ${firstAt - endedAt} ms after the end`);
    });
  }

  test("the logs WebSocket sends lines while the task prints, then the ended task, then closes with 1000", async () => {
    const submitted = await submit();
    const socket = await open(`/v1/tasks/${submitted.id}/logs?follow=true`);

    const end = await socket.waitForFrame((frame) => frame.data.type === "end", 15_000);
    const closed = await socket.closed;

    assert.equal(closed.code, 1000);
    const lineFrames = socket.frames.filter((frame) => frame.data.type === "lines");
    assert.deepEqual(
      lineFrames.flatMap((frame) => (frame.data.lines as { text: string }[]).map((l) => l.text)),
      printedLines,
    );
    assert.equal(socket.frames.at(-1), end, "the end frame is the last one");
    const endedTask = end.data.task as { id: string; state: string; endTime: string };
    assert.equal(endedTask.id, submitted.id);
    assert.equal(endedTask.state, "TASK_STATE_SUCCEEDED");
    const firstAt = lineFrames[0]?.receivedAt ?? Number.POSITIVE_INFINITY;
    const endedAt = Date.parse(endedTask.endTime);
    assert.ok(firstAt < endedAt, `the first line came ${firstAt - endedAt} ms after the end`);
  });

  test("the logs WebSocket of an unknown task closes with 4404", async () => {
    const socket = await open("/v1/tasks/no-such-task/logs?follow=true");

    const closed = await socket.closed;
    assert.equal(closed.code, 4404);
    assert.match(closed.reason, /no-such-task/);
  });

  test("WatchTasks sends every state change of a task, in order", async () => {
    const queue = "watched-by-rpc";
    await client.queues.createQueue({ queue: { name: queue, resourceGroups: ["all-nodes"] } });
    // Its current state arriving shows that the watch is in place before the task is submitted.
    const waiting = await submit(queue, absentGpuModel);

    const seen: string[] = [];
    let watched: Task | undefined;
    // Leaving the loop does not end the call; aborting does.
    const watching = new AbortController();
    const events = client.tasks.watchTasks(
      { queue, includeCurrent: true },
      { signal: watching.signal },
    );
    try {
      for await (const { task, current } of events) {
        assert.ok(task);
        const who = task.id === waiting.id ? "waiting" : "watched";
        seen.push(`${who} ${TaskState[task.state]}${current ? " (current)" : ""}`);
        if (task.id === waiting.id && current) {
          watched = await submit(queue);
        }
        if (task.id === watched?.id && hasEnded(task)) {
          break;
        }
      }
    } finally {
      watching.abort();
    }

    assert.deepEqual(seen, [
      "waiting PENDING (current)",
      "watched PENDING",
      "watched RUNNING",
      "watched SUCCEEDED",
    ]);
    await client.tasks.cancelTask({ id: waiting.id });
  });

  test("the events WebSocket sends every state change of a task, in order", async () => {
    const queue = "watched-by-socket";
    await client.queues.createQueue({ queue: { name: queue, resourceGroups: ["all-nodes"] } });
    const waiting = await submit(queue, absentGpuModel);
    const socket = await open(`/v1/events?queue=${queue}&include_current=true`);
    await socket.waitForFrame((frame) => frame.data.current === true);

    const watched = await submit(queue);
    await socket.waitForFrame((frame) => {
      const task = frame.data.task as { id: string; state: string };
      return task.id === watched.id && task.state === "TASK_STATE_SUCCEEDED";
    }, 15_000);
    await socket.terminate();

    const seen = socket.frames.map((frame) => {
      const task = frame.data.task as { id: string; state: string };
      const who = task.id === waiting.id ? "waiting" : "watched";
      return `${frame.data.type} ${who} ${task.state}${frame.data.current ? " (current)" : ""}`;
    });
    assert.deepEqual(seen, [
      "task waiting TASK_STATE_PENDING (current)",
      "task watched TASK_STATE_PENDING",
      "task watched TASK_STATE_RUNNING",
      "task watched TASK_STATE_SUCCEEDED",
    ]);
    await client.tasks.cancelTask({ id: waiting.id });
  });
});
