import * as assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { TaskService, TaskState } from "@sherpa/proto";
import { fakeTask } from "../testing/fake-task.js";
import { runCaptured, testNowMs } from "../testing/run-captured.js";
import { startFakeServer } from "../testing/start-fake-server.js";

describe("sherpa tasks get and cancel", async () => {
  const finished = fakeTask({
    id: "t-7",
    argv: ["python", "train.py", "--name", "my run"],
    state: TaskState.FAILED,
    stateReason: "exited with 2",
    exitCode: 2,
    gpuCount: 2,
    gpuUuids: ["GPU-a", "GPU-b"],
    nodeName: "node-1",
    timeout: { seconds: 3_600n },
    labels: { team: "ml", env: "dev" },
    startTime: timestampFromMs(testNowMs - 4 * 60_000),
    endTime: timestampFromMs(testNowMs - 60_000),
  });
  const withEnv = fakeTask({ id: "t-env", env: { SEED: "7", API_KEY: "s3cret" } });
  // What a caller who is neither the owner nor an admin gets: names, empty values.
  const hiddenEnv = fakeTask({
    id: "t-hidden",
    owner: "bob",
    env: { SEED: "", API_KEY: "" },
    envValuesHidden: true,
  });
  const tasks = new Map([finished, withEnv, hiddenEnv].map((task) => [task.id, task]));
  const server = await startFakeServer((router) =>
    router.service(TaskService, {
      getTask(request) {
        const task = tasks.get(request.id);
        if (task === undefined)
          throw new ConnectError(`task ${request.id} not found`, Code.NotFound);
        return { task };
      },
      cancelTask(request) {
        if (request.id === "t-7") {
          throw new ConnectError("task t-7 has already ended (FAILED)", Code.FailedPrecondition);
        }
        return {
          task: fakeTask({
            id: request.id,
            state: TaskState.CANCELLED,
            stateReason: request.reason,
          }),
        };
      },
    }),
  );
  after(() => server.close());
  const run = (...args: string[]) => runCaptured(["--server", server.url, "tasks", ...args]);

  it("shows every detail of a task", async () => {
    const { exitCode, stdout } = await run("get", "t-7");
    assert.equal(exitCode, 0);
    assert.equal(
      stdout,
      [
        "ID:         t-7",
        "Name:       train",
        "Queue:      default",
        "Owner:      alice",
        "State:      FAILED",
        "Reason:     exited with 2",
        "Exit code:  2",
        "Command:    python train.py --name 'my run'",
        "GPUs:       2 x any model",
        "GPU UUIDs:  GPU-a, GPU-b",
        "Node:       node-1",
        "Timeout:    1h",
        "Labels:     env=dev, team=ml",
        "Created:    2024-05-01T11:55:00Z (5m ago)",
        "Started:    2024-05-01T11:56:00Z",
        "Ended:      2024-05-01T11:59:00Z",
        "",
      ].join("\n"),
    );
  });

  const envCases: [string, string, string][] = [
    ["its owner or an admin", "t-env", "Env:      API_KEY=s3cret, SEED=7\n"],
    ["anybody else", "t-hidden", "Env:      API_KEY=(hidden), SEED=(hidden)\n"],
  ];
  for (const [who, id, envLine] of envCases) {
    it(`shows env values as the server gives them to ${who}`, async () => {
      const { exitCode, stdout } = await run("get", id);
      assert.equal(exitCode, 0);
      assert.ok(stdout.includes(envLine), stdout);
    });
  }

  it("prints the task as protobuf JSON with --json", async () => {
    const { exitCode, stdout } = await run("get", "t-7", "--json");
    assert.equal(exitCode, 0);
    const task = JSON.parse(stdout);
    assert.deepEqual(
      [task.id, task.state, task.exitCode, task.timeout, task.endTime],
      ["t-7", "TASK_STATE_FAILED", 2, "3600s", "2024-05-01T11:59:00Z"],
    );
    assert.equal(stdout.split("\n").length, 2);
  });

  it("reports a missing task with its code and exits 1", async () => {
    const { exitCode, stdout, stderr } = await run("get", "t-404");
    assert.equal(exitCode, 1);
    assert.equal(stdout, "");
    assert.equal(stderr, "sherpa: NotFound: task t-404 not found\n");
  });

  it("cancels a task with a reason and prints its new state", async () => {
    const { exitCode, stdout } = await run("cancel", "t-8", "--reason", "wrong data");
    assert.equal(exitCode, 0);
    assert.equal(stdout, "task t-8 CANCELLED (wrong data)\n");
  });

  it("reports cancelling an ended task as a failed precondition", async () => {
    const { exitCode, stderr } = await run("cancel", "t-7");
    assert.equal(exitCode, 1);
    assert.equal(stderr, "sherpa: FailedPrecondition: task t-7 has already ended (FAILED)\n");
  });
});
