import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type ResourceGroup as ResourceGroupMessage, ResourceGroupSchema } from "@sherpa/proto";
import type { ResourceGroupWithNodes } from "../storage/resource-group-store.js";

/** The API message of a resource group and the nodes it selects. */
export function toResourceGroupMessage({
  group,
  nodeNames,
}: ResourceGroupWithNodes): ResourceGroupMessage {
  return create(ResourceGroupSchema, {
    name: group.name,
    description: group.description,
    nodeSelector: group.nodeSelector,
    nodeNames,
    createTime: timestampFromDate(group.createTime),
    updateTime: timestampFromDate(group.updateTime),
  });
}
