import * as assert from "node:assert/strict";
import { after, beforeEach, describe, it } from "node:test";
import { LogStream, type SubmitTaskRequest, TaskService, TaskState } from "@sherpa/proto";
import { fakeTask } from "../testing/fake-task.js";
import { runCaptured } from "../testing/run-captured.js";
import { startFakeServer } from "../testing/start-fake-server.js";

describe("sherpa tasks submit", async () => {
  let submitted: SubmitTaskRequest[] = [];
  const ended = fakeTask({ state: TaskState.FAILED, exitCode: 3, stateReason: "exited with 3" });
  const server = await startFakeServer((router) =>
    router.service(TaskService, {
      submitTask(request) {
        submitted.push(request);
        return { task: fakeTask({ id: "t-42", argv: request.argv, gpuCount: request.gpuCount }) };
      },
      async *streamTaskLogs(request) {
        assert.deepEqual([request.id, request.offset, request.follow], ["t-42", 0n, true]);
        yield { lines: [{ offset: 0n, stream: LogStream.STDOUT, text: "epoch 1" }] };
        yield { lines: [{ offset: 1n, stream: LogStream.STDERR, text: "loss is NaN" }] };
      },
      getTask: () => ({ task: ended }),
      async *watchTasks(request) {
        assert.deepEqual([request.taskIds, request.includeCurrent], [["t-42"], true]);
        yield { current: true, task: fakeTask({ id: "t-42", stateReason: "waiting for GPUs" }) };
        yield { task: fakeTask({ id: "t-42", state: TaskState.RUNNING, nodeName: "node-1" }) };
        yield { task: fakeTask({ id: "t-42", state: TaskState.SUCCEEDED, exitCode: 0 }) };
      },
    }),
  );
  after(() => server.close());
  beforeEach(() => {
    submitted = [];
  });
  const submit = (...args: string[]) =>
    runCaptured(["--server", server.url, "tasks", "submit", ...args]);

  it("prints the new task's ID on stdout and its summary on stderr", async () => {
    const { exitCode, stdout, stderr } = await submit("--", "echo", "hi");
    assert.equal(exitCode, 0);
    assert.equal(stdout, "t-42\n");
    assert.equal(
      stderr,
      [
        "ID    NAME   QUEUE    OWNER  STATE    GPUS  NODE  EXIT  AGE  REASON",
        "t-42  train  default  alice  PENDING  0                 5m",
        "",
      ].join("\n"),
    );
  });

  it("sends every option in the request", async () => {
    const { exitCode } = await submit(
      ...["--queue", "research", "--name", "llm", "--gpus", "2", "--gpu-model", "NVIDIA H100"],
      ...["--timeout", "1h30m", "--env", "A=1", "--env", "B=x=y", "--label", "team=ml"],
      ...["--request-id", "r-1", "--", "python", "train.py", "--lr", "3e-4"],
    );
    assert.equal(exitCode, 0);
    const [request] = submitted;
    assert.deepEqual(
      {
        argv: request?.argv,
        queue: request?.queue,
        name: request?.name,
        gpuCount: request?.gpuCount,
        gpuModel: request?.gpuModel,
        timeoutSeconds: request?.timeout?.seconds,
        env: request?.env,
        labels: request?.labels,
        requestId: request?.requestId,
      },
      {
        argv: ["python", "train.py", "--lr", "3e-4"],
        queue: "research",
        name: "llm",
        gpuCount: 2,
        gpuModel: "NVIDIA H100",
        timeoutSeconds: 5_400n,
        env: { A: "1", B: "x=y" },
        labels: { team: "ml" },
        requestId: "r-1",
      },
    );
  });

  it("prints the task as protobuf JSON with --json", async () => {
    const { exitCode, stdout } = await submit("--json", "--gpus", "1", "--", "nvidia-smi");
    assert.equal(exitCode, 0);
    const task = JSON.parse(stdout);
    assert.deepEqual(
      [task.id, task.argv, task.gpuCount, task.state],
      ["t-42", ["nvidia-smi"], 1, "TASK_STATE_PENDING"],
    );
  });

  it("with --follow, streams the output and exits with the task's exit code", async () => {
    const { exitCode, stdout, stderr } = await submit("--follow", "--", "python", "train.py");
    assert.equal(exitCode, 3);
    assert.equal(stdout, "epoch 1\n");
    assert.match(stderr, /\nt-42 .*PENDING.*\nloss is NaN\n$/);
  });

  it("with --wait, prints each state change on stderr when it is not a terminal", async () => {
    const { exitCode, stdout, stderr } = await submit("--wait", "--", "sleep", "1");
    assert.equal(exitCode, 0);
    assert.equal(stdout, "t-42\n");
    assert.match(
      stderr,
      /\ntask t-42 PENDING \(waiting for GPUs\)\ntask t-42 RUNNING\ntask t-42 SUCCEEDED exit code 0\n$/,
    );
  });

  it("with --wait on a terminal, redraws one progress line and ends with the outcome", async () => {
    const { exitCode, stderr } = await runCaptured(
      ["--server", server.url, "tasks", "submit", "--wait", "--", "sleep", "1"],
      { isTTY: true },
    );
    assert.equal(exitCode, 0);
    const clearLine = "\r\x1b[K";
    assert.ok(stderr.includes(`${clearLine}⠋ task t-42 PENDING (waiting for GPUs) 0s`), stderr);
    assert.ok(stderr.endsWith(`${clearLine}task t-42 SUCCEEDED exit code 0 after 0s\n`), stderr);
  });

  const usageErrors: [string[], string][] = [
    [[], "missing the command to run; put it after --"],
    [["--gpus", "two", "--", "x"], '--gpus must be an integer from 0 to 2147483647, got "two"'],
    [
      ["--timeout", "10", "--", "x"],
      '--timeout must be a duration such as 30s, 5m, 1h, 1h30m or 30d, got "10"',
    ],
    [["--env", "NOVALUE", "--", "x"], '--env must be KEY=VALUE, got "NOVALUE"'],
  ];
  for (const [args, message] of usageErrors) {
    it(`exits 2 without submitting for ${JSON.stringify(args)}`, async () => {
      const { exitCode, stderr } = await submit(...args);
      assert.equal(exitCode, 2);
      assert.ok(stderr.startsWith(`sherpa: ${message}\n`), stderr);
      assert.match(stderr, /Usage: sherpa tasks submit \[options\] -- COMMAND \[ARGS\.\.\.\]/);
      assert.deepEqual(submitted, []);
    });
  }
});
