import * as assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { clone, create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type CreateQueueRequest,
  type Queue,
  QueueSchema,
  QueueService,
  QueueState,
} from "@sherpa/proto";
import { BadRequestSchema } from "@sherpa/proto/google/rpc/error_details_pb.js";
import { runCaptured, testNowMs } from "../testing/run-captured.js";
import { startFakeServer } from "../testing/start-fake-server.js";

describe("sherpa queues", async () => {
  const queues: Queue[] = [
    create(QueueSchema, {
      name: "default",
      resourceGroups: ["all"],
      gpusInUse: 2,
      runningTasks: 1,
      createTime: timestampFromMs(testNowMs),
    }),
    create(QueueSchema, {
      name: "research",
      description: "long training runs",
      resourceGroups: ["h100", "a100"],
      gpuQuota: 16,
      priority: 10,
      state: QueueState.CLOSED,
      pendingTasks: 4,
    }),
  ];
  const created: CreateQueueRequest[] = [];
  const server = await startFakeServer((router) =>
    router.service(QueueService, {
      listQueues: () => ({ queues }),
      getQueue({ name }) {
        const queue = queues.find((each) => each.name === name);
        if (queue === undefined) throw new ConnectError(`queue ${name} not found`, Code.NotFound);
        return { queue };
      },
      createQueue(request) {
        if (request.queue?.name === "Bad Name") {
          const violation = {
            field: "queue.name",
            description: "must be lowercase letters, digits or dashes",
          };
          throw new ConnectError("invalid queue", Code.InvalidArgument, undefined, [
            { desc: BadRequestSchema, value: { fieldViolations: [violation] } },
          ]);
        }
        created.push(request);
        const queue = clone(QueueSchema, request.queue ?? create(QueueSchema));
        queue.state = QueueState.OPEN;
        return { queue };
      },
    }),
  );
  after(() => server.close());
  const run = (...args: string[]) => runCaptured(["--server", server.url, "queues", ...args]);

  it("lists queues with usage against quota", async () => {
    const { exitCode, stdout } = await run("list");
    assert.equal(exitCode, 0);
    assert.equal(
      stdout,
      [
        "NAME      STATE   PRIORITY  GPUS         PENDING  RUNNING  RESOURCE GROUPS",
        "default   OPEN    0         2/unlimited  0        1        all",
        "research  CLOSED  10        0/16         4        0        h100,a100",
        "",
      ].join("\n"),
    );
  });

  it("shows one queue", async () => {
    const { exitCode, stdout } = await run("get", "research");
    assert.equal(exitCode, 0);
    assert.equal(
      stdout,
      [
        "Name:             research",
        "Description:      long training runs",
        "State:            CLOSED",
        "Priority:         10",
        "GPUs in use:      0/16",
        "Pending tasks:    4",
        "Running tasks:    0",
        "Resource groups:  h100, a100",
        "",
      ].join("\n"),
    );
  });

  it("creates a queue from its options", async () => {
    const { exitCode, stdout } = await run(
      ...[
        "create",
        "batch",
        "--resource-groups",
        "h100, a100",
        "--gpu-quota",
        "8",
        "--priority=-5",
      ],
    );
    assert.equal(exitCode, 0);
    assert.match(stdout, /^Name: +batch\n/);
    const queue = created[0]?.queue;
    assert.deepEqual(
      [queue?.name, queue?.resourceGroups, queue?.gpuQuota, queue?.priority],
      ["batch", ["h100", "a100"], 8, -5],
    );
  });

  it("prints the field violations of an invalid request", async () => {
    const { exitCode, stderr } = await run("create", "Bad Name");
    assert.equal(exitCode, 1);
    assert.equal(
      stderr,
      "sherpa: InvalidArgument: invalid queue\n  queue.name: must be lowercase letters, digits or dashes\n",
    );
  });

  it("prints a queue as protobuf JSON with --json", async () => {
    const { stdout } = await run("get", "default", "--json");
    assert.deepEqual(JSON.parse(stdout), {
      name: "default",
      resourceGroups: ["all"],
      gpusInUse: 2,
      runningTasks: 1,
      createTime: "2024-05-01T12:00:00Z",
    });
  });
});
