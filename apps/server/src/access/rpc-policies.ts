import type { DescService } from "@bufbuild/protobuf";
import {
  AccessService,
  AgentService,
  NodeService,
  QueueService,
  ResourceGroupService,
  TaskService,
} from "@sherpa/proto";
import { Health } from "@sherpa/proto/grpc/health/v1/health_pb.js";
import { ServerReflection as ServerReflectionV1 } from "@sherpa/proto/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "@sherpa/proto/grpc/reflection/v1alpha/reflection_pb.js";
import type { Permission } from "./roles.js";

/** What an RPC needs: a permission, or nothing at all (probes). */
export type RpcPolicy = Permission | "public";

/**
 * The one place that says what each RPC needs, keyed `package.Service/Method`.
 * Every method of a service must be listed (a missing one fails the type
 * check), and the authorization interceptor refuses any RPC not in this table,
 * so a new RPC can never be open by accident.
 */
export const rpcPolicies: ReadonlyMap<string, RpcPolicy> = new Map([
  ...policiesOf(AccessService, {
    whoAmI: "self.read",
    createToken: "access.manage",
    listTokens: "access.manage",
    revokeToken: "access.manage",
    createJoinToken: "access.manage",
    revokeNodeCredential: "access.manage",
  }),
  ...policiesOf(AgentService, {
    enroll: "agent.enroll",
    agentSession: "agent.session",
    uploadTaskLogs: "agent.session",
  }),
  ...policiesOf(NodeService, {
    listNodes: "fleet.read",
    getNode: "fleet.read",
    cordonNode: "nodes.manage",
    uncordonNode: "nodes.manage",
  }),
  ...policiesOf(QueueService, {
    createQueue: "fleet.manage",
    getQueue: "fleet.read",
    listQueues: "fleet.read",
    updateQueue: "fleet.manage",
    deleteQueue: "fleet.manage",
  }),
  ...policiesOf(ResourceGroupService, {
    createResourceGroup: "fleet.manage",
    getResourceGroup: "fleet.read",
    listResourceGroups: "fleet.read",
    updateResourceGroup: "fleet.manage",
    deleteResourceGroup: "fleet.manage",
  }),
  ...policiesOf(TaskService, {
    submitTask: "tasks.submit",
    getTask: "tasks.read",
    listTasks: "tasks.read",
    cancelTask: "tasks.submit",
    watchTasks: "tasks.read",
    streamTaskLogs: "tasks.read",
  }),
  // Probes stay open so that load balancers and Kubernetes need no credential.
  ...policiesOf(Health, { check: "public", watch: "public", list: "fleet.read" }),
  ...policiesOf(ServerReflectionV1, { serverReflectionInfo: "self.read" }),
  ...policiesOf(ServerReflectionV1alpha, { serverReflectionInfo: "self.read" }),
]);

/** HTTP paths of the public RPCs, which the authentication hook lets through. */
export const publicRpcPaths: ReadonlySet<string> = new Set(
  [...rpcPolicies].filter(([, policy]) => policy === "public").map(([key]) => `/${key}`),
);

function policiesOf<S extends DescService>(
  service: S,
  policies: { [M in keyof S["method"]]: RpcPolicy },
): [string, RpcPolicy][] {
  const byLocalName = policies as Record<string, RpcPolicy | undefined>;
  // A method missing here (a newer schema than this table) gets no entry, so it is refused.
  return service.methods.flatMap((method) => {
    const policy = byLocalName[method.localName];
    return policy === undefined ? [] : [[`${service.typeName}/${method.name}`, policy]];
  });
}
