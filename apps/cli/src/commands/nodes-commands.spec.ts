import * as assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { clone, create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { GpuState, type Node, NodeSchema, NodeService, NodeState } from "@sherpa/proto";
import { runCaptured, testNowMs } from "../testing/run-captured.js";
import { startFakeServer } from "../testing/start-fake-server.js";

const gib = 2n ** 30n;

describe("sherpa nodes and gpus", async () => {
  const nodes: Node[] = [
    create(NodeSchema, {
      name: "node-a",
      labels: { zone: "eu", gpu: "h100" },
      state: NodeState.READY,
      lastHeartbeatTime: timestampFromMs(testNowMs - 3_000),
      gpus: [
        {
          index: 0,
          model: "NVIDIA H100 80GB HBM3",
          memoryBytes: 80n * gib,
          state: GpuState.ALLOCATED,
          taskId: "t-1",
          utilizationPercent: 97,
        },
        { index: 1, model: "NVIDIA H100 80GB HBM3", memoryBytes: 80n * gib, state: GpuState.FREE },
      ],
    }),
    create(NodeSchema, {
      name: "node-b",
      state: NodeState.CORDONED,
      simulated: true,
      gpus: [
        {
          index: 0,
          model: "NVIDIA A100-SXM4-40GB",
          memoryBytes: 40n * gib + gib / 2n,
          state: GpuState.UNHEALTHY,
        },
      ],
    }),
  ];
  const server = await startFakeServer((router) =>
    router.service(NodeService, {
      // One node per page, to show that every page is read.
      listNodes({ pageToken }) {
        const index = Number(pageToken || "0");
        return {
          nodes: nodes.slice(index, index + 1),
          nextPageToken: index + 1 < nodes.length ? String(index + 1) : "",
        };
      },
      cordonNode({ name }) {
        const node = nodes.find((each) => each.name === name);
        if (node === undefined) throw new ConnectError(`node ${name} not found`, Code.NotFound);
        return { node: { ...clone(NodeSchema, node), state: NodeState.CORDONED } };
      },
      uncordonNode({ name }) {
        return { node: { name, state: NodeState.READY } };
      },
    }),
  );
  after(() => server.close());
  const run = (...args: string[]) => runCaptured(["--server", server.url, ...args]);

  it("lists nodes with labels, free/total GPUs and whether they are simulated", async () => {
    const { exitCode, stdout } = await run("nodes", "list");
    assert.equal(exitCode, 0);
    assert.equal(
      stdout,
      [
        "NAME    STATE     LABELS             GPUS  SIMULATED  HEARTBEAT",
        "node-a  READY     gpu=h100, zone=eu  1/2   no         3s ago",
        "node-b  CORDONED                     0/1   yes",
        "",
      ].join("\n"),
    );
  });

  it("lists the GPUs of every node", async () => {
    const { exitCode, stdout } = await run("gpus", "list");
    assert.equal(exitCode, 0);
    assert.equal(
      stdout,
      [
        "NODE    INDEX  MODEL                  MEMORY    STATE      TASK  UTIL",
        "node-a  0      NVIDIA H100 80GB HBM3  80 GiB    ALLOCATED  t-1   97%",
        "node-a  1      NVIDIA H100 80GB HBM3  80 GiB    FREE",
        "node-b  0      NVIDIA A100-SXM4-40GB  40.5 GiB  UNHEALTHY",
        "",
      ].join("\n"),
    );
  });

  it("prints each GPU with its node as JSON with --json", async () => {
    const { stdout } = await run("gpus", "list", "--json");
    const first = JSON.parse(stdout.split("\n")[0] ?? "");
    assert.deepEqual(first, {
      node: "node-a",
      gpu: {
        model: "NVIDIA H100 80GB HBM3",
        memoryBytes: "85899345920",
        state: "GPU_STATE_ALLOCATED",
        taskId: "t-1",
        utilizationPercent: 97,
      },
    });
  });

  it("cordons and uncordons a node, printing its new state", async () => {
    assert.deepEqual(await run("nodes", "cordon", "node-a"), {
      exitCode: 0,
      stdout: "node node-a CORDONED\n",
      stderr: "",
    });
    assert.deepEqual(await run("nodes", "uncordon", "node-b"), {
      exitCode: 0,
      stdout: "node node-b READY\n",
      stderr: "",
    });
  });

  it("reports cordoning an unknown node", async () => {
    const { exitCode, stderr } = await run("nodes", "cordon", "node-z");
    assert.equal(exitCode, 1);
    assert.equal(stderr, "sherpa: NotFound: node node-z not found\n");
  });
});
