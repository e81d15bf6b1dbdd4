import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { type ConnectRouter, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { type Agent, type AgentLogger, createAgent, discoverGpus } from "@sherpa/agent";
import { createSherpaServiceClients } from "@sherpa/sdk";
import type { ServerConfig } from "./config.js";

/** What the embedded agent needs from the server. */
export interface EmbeddedAgentDeps {
  /** The server's Connect routes; the agent calls them in memory, through the SDK. */
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
  logger: AgentLogger;
}

/**
 * Creates the agent the server runs in-process by default, so that one command
 * makes this machine a node. It is the same agent as `sherpa-agent` and talks
 * to the server only through the SDK, over an in-memory transport to the same
 * routes instead of the network (so it works with TLS or mTLS configured too).
 */
export async function createEmbeddedAgent(
  config: ServerConfig,
  deps: EmbeddedAgentDeps,
): Promise<Agent> {
  const nodeName = embeddedNodeNameOf(config);
  const inventory = await discoverGpus({
    nodeName,
    simulated: config.agentGpus,
    nvidiaSmi: config.agentNvidiaSmi,
    logger: deps.logger,
  });
  const transport = createRouterTransport(deps.routes, {
    router: { interceptors: deps.interceptors },
  });
  return createAgent({
    clients: createSherpaServiceClients(transport),
    nodeName,
    labels: config.nodeLabels,
    gpus: inventory.gpus,
    simulated: inventory.simulated,
    measureGpus: inventory.measureGpus,
    workDir: agentWorkDir(config),
    cancelGraceMs: config.agentCancelGraceMs,
    logger: deps.logger,
    baseEnv: config.taskBaseEnv,
  });
}

/** The embedded agent's node name: SHERPA_NODE_NAME, or the host name. */
export function embeddedNodeNameOf(config: ServerConfig): string {
  return config.nodeName === "" ? hostname() : config.nodeName;
}

function agentWorkDir(config: ServerConfig): string {
  if (config.agentWorkDir !== "") {
    return config.agentWorkDir;
  }
  // A throwaway database gets a throwaway work directory.
  return config.dataDir === ":memory:"
    ? join(tmpdir(), `sherpa-agent-${process.pid}`)
    : join(config.dataDir, "agent");
}
