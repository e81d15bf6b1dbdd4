import * as assert from "node:assert/strict";
import { after, beforeEach, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  LogLineSchema,
  LogStream,
  type StreamTaskLogsRequest,
  TaskService,
  TaskState,
} from "@sherpa/proto";
import { fakeTask } from "../testing/fake-task.js";
import { runCaptured, testNowMs } from "../testing/run-captured.js";
import { startFakeServer } from "../testing/start-fake-server.js";

const log = [
  { stream: LogStream.STDOUT, text: "loading data" },
  { stream: LogStream.STDERR, text: "warning: slow disk" },
  { stream: LogStream.STDOUT, text: "epoch 1 loss=0.5" },
  { stream: LogStream.STDOUT, text: "done" },
].map((line, offset) =>
  create(LogLineSchema, { ...line, offset: BigInt(offset), time: timestampFromMs(testNowMs) }),
);

describe("sherpa tasks logs", async () => {
  let requests: StreamTaskLogsRequest[] = [];
  // "t-ok" succeeds; "t-fail" fails with exit code 3; "t-resume" is still running after the first
  // stream, which the server ends early after two lines.
  let getTaskCalls = 0;
  const server = await startFakeServer((router) =>
    router.service(TaskService, {
      async *streamTaskLogs(request) {
        requests.push(request);
        if (request.id === "t-404") throw new ConnectError("task t-404 not found", Code.NotFound);
        const end = request.id === "t-resume" && request.offset === 0n ? 2 : log.length;
        for (const line of log.slice(Number(request.offset), end)) yield { lines: [line] };
      },
      getTask(request) {
        getTaskCalls++;
        if (request.id === "t-fail") {
          return { task: fakeTask({ id: request.id, state: TaskState.FAILED, exitCode: 3 }) };
        }
        const running = request.id === "t-resume" && getTaskCalls === 1;
        return {
          task: fakeTask({
            id: request.id,
            state: running ? TaskState.RUNNING : TaskState.SUCCEEDED,
            exitCode: running ? undefined : 0,
          }),
        };
      },
    }),
  );
  after(() => server.close());
  beforeEach(() => {
    requests = [];
    getTaskCalls = 0;
  });
  const logs = (...args: string[]) =>
    runCaptured(["--server", server.url, "tasks", "logs", ...args]);

  it("prints stdout lines on stdout and stderr lines on stderr, then exits 0", async () => {
    const { exitCode, stdout, stderr } = await logs("t-ok");
    assert.equal(exitCode, 0);
    assert.equal(stdout, "loading data\nepoch 1 loss=0.5\ndone\n");
    assert.equal(stderr, "warning: slow disk\n");
    assert.deepEqual(
      requests.map(({ id, offset, follow }) => ({ id, offset, follow })),
      [{ id: "t-ok", offset: 0n, follow: false }],
    );
  });

  it("starts at --offset", async () => {
    const { stdout } = await logs("--offset", "2", "t-ok");
    assert.equal(stdout, "epoch 1 loss=0.5\ndone\n");
    assert.equal(requests[0]?.offset, 2n);
  });

  const followed: [string, number][] = [
    ["t-ok", 0],
    ["t-fail", 3],
  ];
  for (const [id, expected] of followed) {
    it(`with -f, follows ${id} to its end and exits ${expected}`, async () => {
      const { exitCode, stdout } = await logs("-f", id);
      assert.equal(exitCode, expected);
      assert.equal(stdout, "loading data\nepoch 1 loss=0.5\ndone\n");
      assert.equal(requests[0]?.follow, true);
    });
  }

  it("with --follow, resumes after the last line when a stream ends before the task", async () => {
    const { exitCode, stdout, stderr } = await logs("--follow", "t-resume");
    assert.equal(exitCode, 0);
    assert.equal(stdout, "loading data\nepoch 1 loss=0.5\ndone\n");
    assert.equal(stderr, "warning: slow disk\n");
    assert.deepEqual(
      requests.map((request) => request.offset),
      [0n, 2n],
    );
  });

  it("prints one JSON LogLine per line with --json", async () => {
    const { exitCode, stdout, stderr } = await logs("t-ok", "--json");
    assert.equal(exitCode, 0);
    assert.equal(stderr, "");
    const lines = stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(lines[1], {
      offset: "1",
      stream: "LOG_STREAM_STDERR",
      text: "warning: slow disk",
      time: "2024-05-01T12:00:00Z",
    });
    assert.equal(lines.length, 4);
  });

  it("reports a missing task and exits 1", async () => {
    const { exitCode, stderr } = await logs("-f", "t-404");
    assert.equal(exitCode, 1);
    assert.equal(stderr, "sherpa: NotFound: task t-404 not found\n");
  });

  it("rejects a negative --offset as a usage error", async () => {
    const { exitCode, stderr } = await logs("--offset=-1", "t-ok");
    assert.equal(exitCode, 2);
    assert.match(stderr, /^sherpa: --offset must be an integer from 0/);
  });
});
