import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AccessService,
  NodeService,
  QueueService,
  ResourceGroupService,
  TaskService,
} from "@sherpa/proto";
import { clientPropertyName } from "./sherpa-sdk-plugin.js";

describe("clientPropertyName", () => {
  const cases = [
    { service: TaskService, property: "tasks" },
    { service: ResourceGroupService, property: "resourceGroups" },
    { service: NodeService, property: "nodes" },
    { service: QueueService, property: "queues" },
    { service: AccessService, property: "access" },
  ];
  for (const { service, property } of cases) {
    it(`names the client of ${service.name} "${property}"`, () => {
      assert.equal(clientPropertyName(service), property);
    });
  }
});
