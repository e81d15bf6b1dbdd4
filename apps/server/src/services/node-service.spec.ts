import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { rejectsWithCode } from "@sherpa/kit/testing";
import { GpuState, NodeState } from "@sherpa/proto";
import type { NodeRegistration } from "../storage/node-store.js";
import { rejectsWithViolations } from "./testing/assert-connect-error.js";
import {
  createTestTransport,
  type TestTransport,
  testNodeOfflineAfterMs,
} from "./testing/create-test-transport.js";

const h100 = { model: "NVIDIA H100 80GB HBM3", memoryBytes: 80 * 1024 ** 3 };

describe("NodeService", () => {
  let api: TestTransport;
  beforeEach(async () => {
    api = await createTestTransport();
  });
  afterEach(() => api.close());

  const registerNode = (registration: Partial<NodeRegistration> & { name: string }) =>
    api.stores.nodes.registerNode(
      { labels: {}, simulated: false, gpus: [], ...registration },
      api.clock.now(),
    );

  const listNames = async (request: Parameters<typeof api.nodes.listNodes>[0]) => {
    const { nodes } = await api.nodes.listNodes(request);
    return nodes.map((node) => node.name);
  };

  describe("ListNodes and GetNode", () => {
    it("shows a registered node as READY with its GPUs FREE", async () => {
      await registerNode({
        name: "gpu-1",
        labels: { gpu: "h100" },
        simulated: true,
        gpus: [
          { uuid: "GPU-b", index: 1, ...h100 },
          { uuid: "GPU-a", index: 0, ...h100 },
        ],
      });
      const { nodes } = await api.nodes.listNodes({});
      assert.equal(nodes.length, 1);
      const { node } = await api.nodes.getNode({ name: "gpu-1" });
      assert.deepEqual(nodes[0], node);
      assert.equal(node?.state, NodeState.READY);
      assert.deepEqual(node?.labels, { gpu: "h100" });
      assert.equal(node?.simulated, true);
      assert.deepEqual(
        node?.lastHeartbeatTime && timestampDate(node.lastHeartbeatTime),
        api.clock.now(),
      );
      assert.deepEqual(
        node?.gpus.map((gpu) => [
          gpu.index,
          gpu.uuid,
          gpu.model,
          gpu.memoryBytes,
          gpu.state,
          gpu.taskId,
        ]),
        [
          [0, "GPU-a", h100.model, BigInt(h100.memoryBytes), GpuState.FREE, ""],
          [1, "GPU-b", h100.model, BigInt(h100.memoryBytes), GpuState.FREE, ""],
        ],
      );
    });

    it("lists nodes by name, one page at a time", async () => {
      for (const name of ["node-c", "node-a", "node-b"]) {
        await registerNode({ name });
      }
      const first = await api.nodes.listNodes({ pageSize: 2 });
      assert.deepEqual(
        first.nodes.map((n) => n.name),
        ["node-a", "node-b"],
      );
      const second = await api.nodes.listNodes({ pageSize: 2, pageToken: first.nextPageToken });
      assert.deepEqual(
        second.nodes.map((n) => n.name),
        ["node-c"],
      );
      assert.equal(second.nextPageToken, "");
    });

    it("turns a node OFFLINE once its heartbeat is older than nodeOfflineAfterMs", async () => {
      await registerNode({ name: "quiet" });
      api.clock.advance(testNodeOfflineAfterMs);
      assert.equal((await api.nodes.getNode({ name: "quiet" })).node?.state, NodeState.READY);
      api.clock.advance(1);
      assert.equal((await api.nodes.getNode({ name: "quiet" })).node?.state, NodeState.OFFLINE);
      assert.deepEqual(await listNames({ states: [NodeState.OFFLINE] }), ["quiet"]);
      assert.deepEqual(await listNames({ states: [NodeState.READY] }), []);
    });

    it("brings an OFFLINE node back when it registers again", async () => {
      await registerNode({ name: "flaky" });
      api.clock.advance(testNodeOfflineAfterMs + 1);
      await registerNode({ name: "flaky" });
      assert.equal((await api.nodes.getNode({ name: "flaky" })).node?.state, NodeState.READY);
    });

    it("filters by state and labels", async () => {
      await registerNode({ name: "old", labels: { gpu: "a100" } });
      api.clock.advance(testNodeOfflineAfterMs + 1);
      await registerNode({ name: "ready-h100", labels: { gpu: "h100", zone: "east" } });
      await registerNode({ name: "ready-a100", labels: { gpu: "a100", zone: "east" } });
      await registerNode({ name: "cordoned-h100", labels: { gpu: "h100", zone: "west" } });
      await api.nodes.cordonNode({ name: "cordoned-h100" });

      const cases: { filter: Parameters<typeof api.nodes.listNodes>[0]; names: string[] }[] = [
        { filter: { states: [NodeState.READY] }, names: ["ready-a100", "ready-h100"] },
        { filter: { states: [NodeState.CORDONED] }, names: ["cordoned-h100"] },
        { filter: { states: [NodeState.OFFLINE] }, names: ["old"] },
        {
          filter: { states: [NodeState.CORDONED, NodeState.OFFLINE] },
          names: ["cordoned-h100", "old"],
        },
        { filter: { labels: { gpu: "h100" } }, names: ["cordoned-h100", "ready-h100"] },
        { filter: { labels: { gpu: "a100", zone: "east" } }, names: ["ready-a100"] },
        { filter: { labels: { gpu: "tpu" } }, names: [] },
        { filter: { states: [NodeState.READY], labels: { gpu: "h100" } }, names: ["ready-h100"] },
      ];
      for (const { filter, names } of cases) {
        assert.deepEqual(await listNames(filter), names, `filter ${JSON.stringify(filter)}`);
      }
    });

    const badRequests: {
      name: string;
      request: Parameters<typeof api.nodes.listNodes>[0];
      fields: string[];
    }[] = [
      { name: "page_size 1001", request: { pageSize: 1001 }, fields: ["page_size"] },
      { name: "page_size -1", request: { pageSize: -1 }, fields: ["page_size"] },
      { name: "a garbage page_token", request: { pageToken: "%%%" }, fields: ["page_token"] },
      {
        name: "an UNSPECIFIED state",
        request: { states: [NodeState.READY, NodeState.UNSPECIFIED] },
        fields: ["states[1]"],
      },
      {
        name: "a malformed label key",
        request: { labels: { "a b": "c" } },
        fields: ["labels[a b]"],
      },
    ];
    for (const { name, request, fields } of badRequests) {
      it(`rejects ${name} naming ${fields.join(", ")}`, async () => {
        await rejectsWithViolations(api.nodes.listNodes(request), fields);
      });
    }

    it("fails GetNode with NotFound for an unknown node and rejects an empty name", async () => {
      await rejectsWithCode(api.nodes.getNode({ name: "ghost" }), Code.NotFound, /node "ghost"/);
      await rejectsWithViolations(api.nodes.getNode({ name: "" }), ["name"]);
    });
  });

  describe("CordonNode and UncordonNode", () => {
    it("cordons a node, idempotently, and uncordons it", async () => {
      await registerNode({ name: "gpu-1" });
      for (let attempt = 0; attempt < 2; attempt++) {
        const { node } = await api.nodes.cordonNode({ name: "gpu-1" });
        assert.equal(node?.state, NodeState.CORDONED);
      }
      assert.equal((await api.nodes.getNode({ name: "gpu-1" })).node?.state, NodeState.CORDONED);
      for (let attempt = 0; attempt < 2; attempt++) {
        const { node } = await api.nodes.uncordonNode({ name: "gpu-1" });
        assert.equal(node?.state, NodeState.READY);
      }
      assert.equal((await api.nodes.getNode({ name: "gpu-1" })).node?.state, NodeState.READY);
    });

    it("keeps a node cordoned when its agent registers again", async () => {
      await registerNode({ name: "gpu-1" });
      await api.nodes.cordonNode({ name: "gpu-1" });
      api.clock.advance(1_000);
      await registerNode({ name: "gpu-1" });
      assert.equal((await api.nodes.getNode({ name: "gpu-1" })).node?.state, NodeState.CORDONED);
    });

    it("reports a cordoned node that stopped heartbeating as OFFLINE", async () => {
      await registerNode({ name: "gpu-1" });
      await api.nodes.cordonNode({ name: "gpu-1" });
      api.clock.advance(testNodeOfflineAfterMs + 1);
      assert.equal((await api.nodes.getNode({ name: "gpu-1" })).node?.state, NodeState.OFFLINE);
    });

    for (const method of ["cordonNode", "uncordonNode"] as const) {
      it(`${method} fails with NotFound for an unknown node and rejects an empty name`, async () => {
        await rejectsWithCode(api.nodes[method]({ name: "ghost" }), Code.NotFound, /ghost/);
        await rejectsWithViolations(api.nodes[method]({ name: "" }), ["name"]);
      });
    }
  });
});
