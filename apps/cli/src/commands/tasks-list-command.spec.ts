import * as assert from "node:assert/strict";
import { after, beforeEach, describe, it } from "node:test";
import { type ListTasksRequest, TaskService, TaskState } from "@sherpa/proto";
import { fakeTask } from "../testing/fake-task.js";
import { runCaptured } from "../testing/run-captured.js";
import { startFakeServer } from "../testing/start-fake-server.js";

describe("sherpa tasks list", async () => {
  // Five tasks served two per page: t-1 ... t-5.
  const allTasks = [1, 2, 3, 4, 5].map((n) =>
    fakeTask({ id: `t-${n}`, state: n === 1 ? TaskState.RUNNING : TaskState.PENDING, gpuCount: n }),
  );
  let requests: ListTasksRequest[] = [];
  const server = await startFakeServer((router) =>
    router.service(TaskService, {
      listTasks(request) {
        requests.push(request);
        const start = Number(request.pageToken || "0");
        const end = start + Math.min(request.pageSize, 2);
        return {
          tasks: allTasks.slice(start, end),
          nextPageToken: end < allTasks.length ? String(end) : "",
        };
      },
    }),
  );
  after(() => server.close());
  beforeEach(() => {
    requests = [];
  });
  const list = (...args: string[]) =>
    runCaptured(["--server", server.url, "tasks", "list", ...args]);

  it("prints an aligned table, page after page", async () => {
    const { exitCode, stdout, stderr } = await list();
    assert.equal(exitCode, 0);
    assert.equal(
      stdout,
      [
        "ID   NAME   QUEUE    OWNER  STATE    GPUS  NODE  EXIT  AGE  REASON",
        "t-1  train  default  alice  RUNNING  1                 5m",
        "t-2  train  default  alice  PENDING  2                 5m",
        "t-3  train  default  alice  PENDING  3                 5m",
        "t-4  train  default  alice  PENDING  4                 5m",
        "t-5  train  default  alice  PENDING  5                 5m",
        "",
      ].join("\n"),
    );
    assert.equal(stderr, "");
    assert.deepEqual(
      requests.map((request) => request.pageToken),
      ["", "2", "4"],
    );
  });

  it("stops at --limit and says there is more", async () => {
    const { exitCode, stdout, stderr } = await list("--limit", "3");
    assert.equal(exitCode, 0);
    assert.deepEqual(
      stdout
        .split("\n")
        .slice(1, -1)
        .map((line) => line.split(" ")[0]),
      ["t-1", "t-2", "t-3"],
    );
    assert.equal(stderr, "(first 3 tasks shown; use --limit N or --all for more)\n");
  });

  it("sends the filters with every page", async () => {
    const { exitCode } = await list(
      ...["--queue", "research", "--state", "pending,running", "--state", "failed"],
      ...["--label", "team=ml", "--owner", "me", "--all"],
    );
    assert.equal(exitCode, 0);
    assert.equal(requests.length, 3);
    for (const request of requests) {
      assert.equal(request.queue, "research");
      assert.deepEqual(request.states, [TaskState.PENDING, TaskState.RUNNING, TaskState.FAILED]);
      assert.deepEqual(request.labels, { team: "ml" });
      assert.equal(request.owner, "me");
    }
  });

  it("asks for every owner's tasks without --owner", async () => {
    await list("--limit", "1");
    assert.equal(requests[0]?.owner, "");
  });

  it("prints one JSON task per line with --json", async () => {
    const { exitCode, stdout } = await list("--json", "--limit", "2");
    assert.equal(exitCode, 0);
    const tasks = stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      tasks.map((task) => [task.id, task.state]),
      [
        ["t-1", "TASK_STATE_RUNNING"],
        ["t-2", "TASK_STATE_PENDING"],
      ],
    );
  });

  const usageErrors: [string[], string][] = [
    [["--state", "done"], 'unknown task state "done"'],
    [["--limit", "0"], "--limit must be an integer from 1"],
    [["--all", "--limit", "5"], "--all and --limit cannot be used together"],
    [["extra"], 'unexpected argument "extra"'],
  ];
  for (const [args, message] of usageErrors) {
    it(`exits 2 without calling for ${JSON.stringify(args)}`, async () => {
      const { exitCode, stderr } = await list(...args);
      assert.equal(exitCode, 2);
      assert.ok(stderr.startsWith(`sherpa: ${message}`), stderr);
      assert.deepEqual(requests, []);
    });
  }
});
