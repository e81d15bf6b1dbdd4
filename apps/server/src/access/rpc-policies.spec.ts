import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Health } from "@sherpa/proto/grpc/health/v1/health_pb.js";
import { ServerReflection as ServerReflectionV1 } from "@sherpa/proto/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "@sherpa/proto/grpc/reflection/v1alpha/reflection_pb.js";
import { sherpaServices } from "../services/sherpa-routes.js";
import { publicRpcPaths, rpcPolicies } from "./rpc-policies.js";

const mountedServices = [...sherpaServices, Health, ServerReflectionV1, ServerReflectionV1alpha];

describe("rpcPolicies", () => {
  it("declares a policy for every method the server mounts", () => {
    const missing = mountedServices
      .flatMap((service) => service.methods.map((method) => `${service.typeName}/${method.name}`))
      .filter((rpc) => !rpcPolicies.has(rpc));
    assert.deepEqual(missing, []);
  });

  it("leaves only the health probes open", () => {
    assert.deepEqual([...publicRpcPaths].sort(), [
      "/grpc.health.v1.Health/Check",
      "/grpc.health.v1.Health/Watch",
    ]);
  });

  it("lets agents' credentials reach only the agent service", () => {
    const agentRpcs = [...rpcPolicies]
      .filter(([, policy]) => policy === "agent.session" || policy === "agent.enroll")
      .map(([rpc]) => rpc.split("/")[0]);
    assert.deepEqual([...new Set(agentRpcs)], ["sherpa.v1.AgentService"]);
  });
});
