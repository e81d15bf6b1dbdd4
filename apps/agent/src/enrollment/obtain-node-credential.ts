import type { SherpaServiceClients } from "@sherpa/sdk";
import type { ReconnectBackoffOptions } from "../agent/reconnect-backoff.js";
import { type AgentConfig, AgentConfigError } from "../agent-config.js";
import type { AgentLogger } from "../agent-logger.js";
import { enrollNode } from "./enroll-node.js";
import {
  credentialFilePath,
  type NodeCredential,
  readNodeCredential,
  writeNodeCredential,
} from "./node-credential-file.js";

/** Options of obtainNodeCredential. */
export interface ObtainNodeCredentialOptions {
  config: Pick<AgentConfig, "server" | "nodeName" | "stateDir" | "joinToken">;
  /** Clients for Enroll that send `joinToken` as their bearer token. */
  enrollClients: (joinToken: string) => Pick<SherpaServiceClients, "agents">;
  logger: AgentLogger;
  reconnect?: ReconnectBackoffOptions;
}

/**
 * Returns the node's credential: the saved one when the node is enrolled
 * (the join token, if given, is then not used), else the one the join token
 * is exchanged for, saved first. Without either, or with a saved credential
 * of another node or server, throws an AgentConfigError saying what to do.
 */
export async function obtainNodeCredential(
  options: ObtainNodeCredentialOptions,
): Promise<NodeCredential> {
  const { config, logger } = options;
  const saved = await readNodeCredential(config.stateDir);
  if (saved !== undefined) {
    checkSavedCredential(saved, config);
    if (config.joinToken !== "") {
      logger.info(
        { nodeName: saved.nodeName },
        "the node is enrolled already: the join token is not used",
      );
    }
    return saved;
  }
  if (config.joinToken === "") {
    throw new AgentConfigError(
      `this node is not enrolled: start the agent once with --join-token (or SHERPA_JOIN_TOKEN) set to a join token, which an admin creates with \`sherpa nodes join-token create\`; the node's credential is then kept in ${credentialFilePath(config.stateDir)}`,
    );
  }
  const enrolled = await enrollNode({
    clients: options.enrollClients(config.joinToken),
    nodeName: config.nodeName,
    logger,
    reconnect: options.reconnect,
  });
  if (enrolled.credential === "") {
    throw new Error("the server enrolled the node but sent no credential");
  }
  const credential: NodeCredential = {
    server: config.server,
    nodeName: enrolled.nodeName === "" ? config.nodeName : enrolled.nodeName,
    credential: enrolled.credential,
  };
  await writeNodeCredential(config.stateDir, credential);
  logger.info(
    {
      nodeName: credential.nodeName,
      labels: enrolled.labels,
      credentialFile: credentialFilePath(config.stateDir),
    },
    "node enrolled",
  );
  return credential;
}

function checkSavedCredential(
  saved: NodeCredential,
  config: ObtainNodeCredentialOptions["config"],
): void {
  const path = credentialFilePath(config.stateDir);
  if (saved.nodeName !== config.nodeName) {
    throw new AgentConfigError(
      `${path} holds the credential of node "${saved.nodeName}", but the node name is "${config.nodeName}": start with --node-name ${saved.nodeName}, or delete ${path} and enroll again with a new join token`,
    );
  }
  // The credential is a secret of that server: it is never sent anywhere else.
  if (!sameServer(saved.server, config.server)) {
    throw new AgentConfigError(
      `${path} holds a credential issued by ${saved.server}, but --server is ${config.server}: start with --server ${saved.server} (or edit "server" in ${path} if that server only moved), or delete ${path} and enroll with a join token of ${config.server}`,
    );
  }
}

function sameServer(saved: string, configured: string): boolean {
  try {
    return new URL(saved).href === new URL(configured).href;
  } catch {
    return false;
  }
}
