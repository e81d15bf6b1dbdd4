import type { ServiceImpl } from "@connectrpc/connect";
import type { NodeService } from "@sherpa/proto";
import type { Scheduler } from "../scheduling/scheduler.js";
import type { NodeStore } from "../storage/node-store.js";
import { decodePageToken } from "../storage/pagination.js";
import { FieldViolations } from "./field-violations.js";
import { nodeStateFromMessage, toNodeMessage } from "./node-message.js";
import { checkEnumFilter, checkLabels, checkPageSize, checkRequired } from "./request-checks.js";

/** What the node service needs. */
export interface NodeServiceDeps {
  /** Told after every change that can let a pending task start. */
  scheduler: Pick<Scheduler, "requestScheduling">;
  nodes: NodeStore;
  now: () => Date;
}

/** Implements sherpa.v1.NodeService over the node store. */
export function createNodeService(deps: NodeServiceDeps): ServiceImpl<typeof NodeService> {
  async function setCordoned(name: string, cordoned: boolean) {
    const violations = new FieldViolations();
    checkRequired(violations, "name", name);
    violations.throwIfAny();
    const node = await deps.nodes.setCordoned(name, cordoned, deps.now());
    deps.scheduler.requestScheduling();
    return { node: toNodeMessage(node) };
  }

  return {
    async listNodes(request) {
      const violations = new FieldViolations();
      const pageSize = checkPageSize(violations, request.pageSize);
      const states = checkEnumFilter(violations, "states", request.states, nodeStateFromMessage);
      checkLabels(violations, "labels", request.labels);
      violations.throwIfAny();
      const page = await deps.nodes.listNodes(
        { pageSize, after: decodePageToken<string>(request.pageToken, "string") },
        { states, labels: request.labels },
        deps.now(),
      );
      return { nodes: page.items.map(toNodeMessage), nextPageToken: page.nextPageToken };
    },

    async getNode(request) {
      const violations = new FieldViolations();
      checkRequired(violations, "name", request.name);
      violations.throwIfAny();
      return { node: toNodeMessage(await deps.nodes.getNode(request.name, deps.now())) };
    },

    cordonNode: (request) => setCordoned(request.name, true),
    uncordonNode: (request) => setCordoned(request.name, false),
  };
}
