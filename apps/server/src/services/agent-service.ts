import type { ServiceImpl } from "@connectrpc/connect";
import type { AgentService } from "@sherpa/proto";
import { type EnrollNodeDeps, enrollNode } from "./enroll-node.js";
import { type AgentSessionDeps, serveAgentSession } from "./serve-agent-session.js";
import { type UploadTaskLogsDeps, uploadTaskLogs } from "./upload-task-logs.js";

/** What the agent service needs: what enrollment, sessions and log uploads each need. */
export interface AgentServiceDeps extends EnrollNodeDeps, AgentSessionDeps, UploadTaskLogsDeps {}

/** Implements sherpa.v1.AgentService: enrollment, agent sessions and log uploads. */
export function createAgentService(deps: AgentServiceDeps): ServiceImpl<typeof AgentService> {
  return {
    enroll: (request, context) => enrollNode(deps, request, context),
    agentSession: (requests, context) => serveAgentSession(deps, requests, context),
    uploadTaskLogs: (requests, context) => uploadTaskLogs(deps, requests, context),
  };
}
