import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { rejectsWithCode } from "@sherpa/kit/testing";
import type {
  CreateResourceGroupRequestSchema,
  UpdateResourceGroupRequestSchema,
} from "@sherpa/proto";
import { rejectsWithReason, rejectsWithViolations } from "./testing/assert-connect-error.js";
import { createTestTransport, type TestTransport } from "./testing/create-test-transport.js";

describe("ResourceGroupService", () => {
  let api: TestTransport;
  beforeEach(async () => {
    api = await createTestTransport();
  });
  afterEach(() => api.close());

  const registerNode = (name: string, labels: Record<string, string>) =>
    api.stores.nodes.registerNode({ name, labels, simulated: true, gpus: [] }, api.clock.now());

  const nodeNamesOf = async (name: string) => {
    const { resourceGroup } = await api.resourceGroups.getResourceGroup({ name });
    return [...(resourceGroup?.nodeNames ?? [])].sort();
  };

  describe("CreateResourceGroup and GetResourceGroup", () => {
    it("creates a group that GetResourceGroup returns", async () => {
      const { resourceGroup: created } = await api.resourceGroups.createResourceGroup({
        resourceGroup: { name: "h100", description: "fast ones", nodeSelector: { gpu: "h100" } },
      });
      assert.deepEqual(created?.createTime && timestampDate(created.createTime), api.clock.now());
      const { resourceGroup } = await api.resourceGroups.getResourceGroup({ name: "h100" });
      assert.deepEqual(resourceGroup, created);
      assert.equal(resourceGroup?.description, "fast ones");
      assert.deepEqual(resourceGroup?.nodeSelector, { gpu: "h100" });
    });

    it("lists the registered nodes having every label of the selector", async () => {
      await registerNode("node-b", { gpu: "h100", zone: "east" });
      await registerNode("node-a", { gpu: "h100", zone: "west" });
      await registerNode("node-c", { gpu: "a100", zone: "east" });
      await registerNode("node-d", {});
      await api.resourceGroups.createResourceGroup({
        resourceGroup: { name: "h100", nodeSelector: { gpu: "h100" } },
      });
      await api.resourceGroups.createResourceGroup({
        resourceGroup: { name: "h100-east", nodeSelector: { gpu: "h100", zone: "east" } },
      });
      await api.resourceGroups.createResourceGroup({
        resourceGroup: { name: "tpu", nodeSelector: { gpu: "tpu" } },
      });
      assert.deepEqual(await nodeNamesOf("h100"), ["node-a", "node-b"]);
      assert.deepEqual(await nodeNamesOf("h100-east"), ["node-b"]);
      assert.deepEqual(await nodeNamesOf("tpu"), []);
      assert.deepEqual(await nodeNamesOf("all-nodes"), ["node-a", "node-b", "node-c", "node-d"]);
    });

    it("follows nodes that register or change labels after the group was created", async () => {
      await api.resourceGroups.createResourceGroup({
        resourceGroup: { name: "h100", nodeSelector: { gpu: "h100" } },
      });
      await registerNode("node-a", { gpu: "h100" });
      assert.deepEqual(await nodeNamesOf("h100"), ["node-a"]);
      await registerNode("node-a", { gpu: "a100" });
      assert.deepEqual(await nodeNamesOf("h100"), []);
    });

    const badRequests: {
      name: string;
      request: MessageInitShape<typeof CreateResourceGroupRequestSchema>;
      fields: string[];
    }[] = [
      { name: "no resource_group", request: {}, fields: ["resource_group"] },
      { name: "no name", request: { resourceGroup: {} }, fields: ["resource_group.name"] },
      {
        name: "a name starting with a digit",
        request: { resourceGroup: { name: "1rack" } },
        fields: ["resource_group.name"],
      },
      {
        name: "a selector key with a space",
        request: { resourceGroup: { name: "g", nodeSelector: { "gpu model": "x" } } },
        fields: ["resource_group.node_selector[gpu model]"],
      },
      {
        name: "a selector value over 256 characters",
        request: { resourceGroup: { name: "g", nodeSelector: { gpu: "x".repeat(257) } } },
        fields: ["resource_group.node_selector[gpu]"],
      },
      {
        name: "several mistakes",
        request: {
          resourceGroup: { name: "G", description: "d".repeat(1001) },
          requestId: "r".repeat(129),
        },
        fields: ["resource_group.name", "resource_group.description", "request_id"],
      },
    ];
    for (const { name, request, fields } of badRequests) {
      it(`rejects ${name} naming ${fields.join(", ")}`, async () => {
        await rejectsWithViolations(api.resourceGroups.createResourceGroup(request), fields);
        const { resourceGroups } = await api.resourceGroups.listResourceGroups({});
        assert.deepEqual(
          resourceGroups.map((g) => g.name),
          ["all-nodes"],
        );
      });
    }

    it("fails with AlreadyExists for a taken name", async () => {
      await rejectsWithCode(
        api.resourceGroups.createResourceGroup({ resourceGroup: { name: "all-nodes" } }),
        Code.AlreadyExists,
        /"all-nodes" already exists/,
      );
    });

    it("returns the first group when a request_id is sent again", async () => {
      const request = { resourceGroup: { name: "retried" }, requestId: "create-1" };
      const { resourceGroup: first } = await api.resourceGroups.createResourceGroup(request);
      api.clock.advance(1_000);
      const { resourceGroup: second } = await api.resourceGroups.createResourceGroup(request);
      assert.deepEqual(second, first);
    });

    it("rejects GetResourceGroup of a malformed name and fails with NotFound for an unknown one", async () => {
      await rejectsWithViolations(api.resourceGroups.getResourceGroup({ name: "" }), ["name"]);
      await rejectsWithCode(
        api.resourceGroups.getResourceGroup({ name: "nope" }),
        Code.NotFound,
        /nope/,
      );
    });
  });

  describe("ListResourceGroups", () => {
    it("lists groups by name, one page at a time", async () => {
      for (const name of ["zeta", "alpha"]) {
        await api.resourceGroups.createResourceGroup({ resourceGroup: { name } });
      }
      const first = await api.resourceGroups.listResourceGroups({ pageSize: 2 });
      assert.deepEqual(
        first.resourceGroups.map((g) => g.name),
        ["all-nodes", "alpha"],
      );
      const second = await api.resourceGroups.listResourceGroups({
        pageSize: 2,
        pageToken: first.nextPageToken,
      });
      assert.deepEqual(
        second.resourceGroups.map((g) => g.name),
        ["zeta"],
      );
      assert.equal(second.nextPageToken, "");
    });

    for (const { name, request, field } of [
      { name: "page_size 1001", request: { pageSize: 1001 }, field: "page_size" },
      { name: "page_size -1", request: { pageSize: -1 }, field: "page_size" },
      { name: "a garbage page_token", request: { pageToken: "not-a-token" }, field: "page_token" },
    ]) {
      it(`rejects ${name}`, async () => {
        await rejectsWithViolations(api.resourceGroups.listResourceGroups(request), [field]);
      });
    }
  });

  describe("UpdateResourceGroup", () => {
    it("changes only the fields in update_mask, and the nodes follow the selector", async () => {
      await registerNode("node-a", { gpu: "h100" });
      await registerNode("node-b", { gpu: "a100" });
      await api.resourceGroups.createResourceGroup({
        resourceGroup: { name: "g", description: "before", nodeSelector: { gpu: "h100" } },
      });
      api.clock.advance(60_000);
      const { resourceGroup } = await api.resourceGroups.updateResourceGroup({
        resourceGroup: { name: "g", description: "ignored", nodeSelector: { gpu: "a100" } },
        updateMask: { paths: ["node_selector"] },
      });
      assert.equal(resourceGroup?.description, "before");
      assert.deepEqual(resourceGroup?.nodeSelector, { gpu: "a100" });
      assert.deepEqual(resourceGroup?.nodeNames, ["node-b"]);
      assert.deepEqual(
        resourceGroup?.updateTime && timestampDate(resourceGroup.updateTime),
        api.clock.now(),
      );
      assert.deepEqual(await nodeNamesOf("g"), ["node-b"]);
    });

    const badRequests: {
      name: string;
      request: MessageInitShape<typeof UpdateResourceGroupRequestSchema>;
      fields: string[];
    }[] = [
      {
        name: "no update_mask",
        request: { resourceGroup: { name: "all-nodes" } },
        fields: ["update_mask"],
      },
      {
        name: "a path that cannot be updated",
        request: { resourceGroup: { name: "all-nodes" }, updateMask: { paths: ["node_names"] } },
        fields: ["update_mask"],
      },
      {
        name: "a bad selector",
        request: {
          resourceGroup: { name: "all-nodes", nodeSelector: { "": "x" } },
          updateMask: { paths: ["node_selector"] },
        },
        fields: ["resource_group.node_selector[]"],
      },
    ];
    for (const { name, request, fields } of badRequests) {
      it(`rejects ${name} naming ${fields.join(", ")}`, async () => {
        await rejectsWithViolations(api.resourceGroups.updateResourceGroup(request), fields);
      });
    }

    it("fails with NotFound for an unknown group", async () => {
      await rejectsWithCode(
        api.resourceGroups.updateResourceGroup({
          resourceGroup: { name: "nope" },
          updateMask: { paths: ["description"] },
        }),
        Code.NotFound,
      );
    });
  });

  describe("DeleteResourceGroup", () => {
    it("refuses to delete a group a queue uses, naming the queue", async () => {
      await rejectsWithCode(
        api.resourceGroups.deleteResourceGroup({ name: "all-nodes" }),
        Code.FailedPrecondition,
        /queue\(s\) default/,
      );
      await rejectsWithReason(
        api.resourceGroups.deleteResourceGroup({ name: "all-nodes" }),
        Code.FailedPrecondition,
        "RESOURCE_GROUP_IN_USE",
      );
      const { resourceGroup } = await api.resourceGroups.getResourceGroup({ name: "all-nodes" });
      assert.equal(resourceGroup?.name, "all-nodes");
    });

    it("deletes a group no queue uses any more", async () => {
      await api.resourceGroups.createResourceGroup({ resourceGroup: { name: "spare" } });
      await api.queues.createQueue({ queue: { name: "q", resourceGroups: ["spare"] } });
      await rejectsWithCode(
        api.resourceGroups.deleteResourceGroup({ name: "spare" }),
        Code.FailedPrecondition,
      );
      await api.queues.updateQueue({
        queue: { name: "q" },
        updateMask: { paths: ["resource_groups"] },
      });
      await api.resourceGroups.deleteResourceGroup({ name: "spare" });
      await rejectsWithCode(api.resourceGroups.getResourceGroup({ name: "spare" }), Code.NotFound);
    });

    it("fails with NotFound for an unknown group and rejects a malformed name", async () => {
      await rejectsWithCode(
        api.resourceGroups.deleteResourceGroup({ name: "nope" }),
        Code.NotFound,
      );
      await rejectsWithViolations(api.resourceGroups.deleteResourceGroup({ name: "A" }), ["name"]);
    });
  });
});
