import type { ServiceImpl } from "@connectrpc/connect";
import type { ResourceGroup as ResourceGroupMessage, ResourceGroupService } from "@sherpa/proto";
import type { Scheduler } from "../scheduling/scheduler.js";
import { decodePageToken } from "../storage/pagination.js";
import type { ResourceGroupChanges, ResourceGroupStore } from "../storage/resource-group-store.js";
import { FieldViolations, requireMessage } from "./field-violations.js";
import {
  checkLabels,
  checkMaxLength,
  checkPageSize,
  checkRequestId,
  checkResourceName,
} from "./request-checks.js";
import { toResourceGroupMessage } from "./resource-group-message.js";
import { checkUpdateMask } from "./update-mask.js";

/** What the resource group service needs. */
export interface ResourceGroupServiceDeps {
  /** Told after every change that can let a pending task start. */
  scheduler: Pick<Scheduler, "requestScheduling">;
  resourceGroups: ResourceGroupStore;
  now: () => Date;
}

const updatableFields = ["description", "node_selector"] as const;
const maxDescriptionLength = 1000;

/** Implements sherpa.v1.ResourceGroupService over the resource group store. */
export function createResourceGroupService(
  deps: ResourceGroupServiceDeps,
): ServiceImpl<typeof ResourceGroupService> {
  const store = deps.resourceGroups;
  return {
    async createResourceGroup(request) {
      const group = requireMessage(request.resourceGroup, "resource_group");
      const violations = new FieldViolations();
      checkResourceName(violations, "resource_group.name", group.name);
      const changes = checkGroupFields(violations, group, new Set(updatableFields));
      checkRequestId(violations, request.requestId);
      violations.throwIfAny();
      const created = await store.createResourceGroup(
        {
          name: group.name,
          description: changes.description ?? "",
          nodeSelector: changes.nodeSelector ?? {},
          requestId: request.requestId,
        },
        deps.now(),
      );
      return { resourceGroup: toResourceGroupMessage(created) };
    },

    async getResourceGroup(request) {
      const violations = new FieldViolations();
      checkResourceName(violations, "name", request.name);
      violations.throwIfAny();
      return { resourceGroup: toResourceGroupMessage(await store.getResourceGroup(request.name)) };
    },

    async listResourceGroups(request) {
      const violations = new FieldViolations();
      const pageSize = checkPageSize(violations, request.pageSize);
      violations.throwIfAny();
      const page = await store.listResourceGroups({
        pageSize,
        after: decodePageToken<string>(request.pageToken, "string"),
      });
      return {
        resourceGroups: page.items.map(toResourceGroupMessage),
        nextPageToken: page.nextPageToken,
      };
    },

    async updateResourceGroup(request) {
      const group = requireMessage(request.resourceGroup, "resource_group");
      const violations = new FieldViolations();
      checkResourceName(violations, "resource_group.name", group.name);
      const paths = checkUpdateMask(violations, request.updateMask, updatableFields);
      const changes = checkGroupFields(violations, group, paths);
      violations.throwIfAny();
      const updated = await store.updateResourceGroup(group.name, changes, deps.now());
      deps.scheduler.requestScheduling();
      return { resourceGroup: toResourceGroupMessage(updated) };
    },

    async deleteResourceGroup(request) {
      const violations = new FieldViolations();
      checkResourceName(violations, "name", request.name);
      violations.throwIfAny();
      await store.deleteResourceGroup(request.name);
      return {};
    },
  };
}

function checkGroupFields(
  violations: FieldViolations,
  group: ResourceGroupMessage,
  paths: Set<(typeof updatableFields)[number]>,
): ResourceGroupChanges {
  const changes: ResourceGroupChanges = {};
  if (paths.has("description")) {
    checkMaxLength(
      violations,
      "resource_group.description",
      group.description,
      maxDescriptionLength,
    );
    changes.description = group.description;
  }
  if (paths.has("node_selector")) {
    checkLabels(violations, "resource_group.node_selector", group.nodeSelector);
    changes.nodeSelector = group.nodeSelector;
  }
  return changes;
}
