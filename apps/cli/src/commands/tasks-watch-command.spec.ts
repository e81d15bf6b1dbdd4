import * as assert from "node:assert/strict";
import { after, beforeEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { TaskService, TaskState, type WatchTasksRequest } from "@sherpa/proto";
import { fakeTask } from "../testing/fake-task.js";
import { runCaptured, testNowMs } from "../testing/run-captured.js";
import { startFakeServer } from "../testing/start-fake-server.js";

describe("sherpa tasks watch", async () => {
  let requests: WatchTasksRequest[] = [];
  const server = await startFakeServer((router) =>
    router.service(TaskService, {
      async *watchTasks(request, context) {
        requests.push(request);
        yield { current: true, task: fakeTask({ stateReason: "waiting for GPUs" }) };
        yield {
          task: fakeTask({
            id: "t-10",
            state: TaskState.RUNNING,
            stateReason: "placed on node-1",
            startTime: timestampFromMs(testNowMs - 1_000),
          }),
        };
        if (request.queue === "short") return;
        await sleep(60_000, undefined, { signal: context.signal }).catch(() => {});
      },
    }),
  );
  after(() => server.close());
  beforeEach(() => {
    requests = [];
  });

  // Runs the watch and presses Ctrl-C once it has printed `lines` lines.
  const watchUntil = (lines: number, ...args: string[]) => {
    const interrupt = new AbortController();
    return runCaptured(["--server", server.url, "tasks", "watch", ...args], {
      signal: interrupt.signal,
      onStdout: (stdout) => {
        if (stdout.split("\n").length > lines) interrupt.abort();
      },
    });
  };

  it("prints one line per event, time, ID, state and reason, until Ctrl-C, then exits 0", async () => {
    const { exitCode, stdout, stderr } = await watchUntil(2, "--queue", "research", "t-1", "t-10");
    assert.equal(exitCode, 0);
    assert.equal(
      stdout,
      [
        "2024-05-01T11:55:00Z  t-1  PENDING    waiting for GPUs",
        "2024-05-01T11:59:59Z  t-10  RUNNING    placed on node-1",
        "",
      ].join("\n"),
    );
    assert.equal(stderr, "");
    assert.deepEqual(
      requests.map(({ queue, taskIds, states, includeCurrent }) => ({
        queue,
        taskIds,
        states,
        includeCurrent,
      })),
      [{ queue: "research", taskIds: ["t-1", "t-10"], states: [], includeCurrent: true }],
    );
  });

  it("prints each WatchTasksResponse as JSON with --json", async () => {
    const { exitCode, stdout } = await watchUntil(2, "--json", "--state", "running");
    assert.equal(exitCode, 0);
    const [first, second] = stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual([first.current, first.task.id], [true, "t-1"]);
    assert.deepEqual([second.current, second.task.state], [undefined, "TASK_STATE_RUNNING"]);
    assert.deepEqual(requests[0]?.states, [TaskState.RUNNING]);
  });

  it("exits 1 saying so when the server ends the watch", async () => {
    const { exitCode, stderr } = await watchUntil(10, "--queue", "short");
    assert.equal(exitCode, 1);
    assert.equal(stderr, "sherpa: the server ended the watch\n");
  });
});
