import { createSherpaClient } from "@sherpa/sdk";
import type { StartedServer } from "./start-server.js";

/** Options of {@link createJoinToken}. */
export interface CreateJoinTokenOptions {
  /** Labels the node enrolled with the token gets, overriding the agent's own. */
  labels?: Record<string, string>;
}

/**
 * Has the server's admin create a join token through AccessService, as
 * `sherpa nodes join-token create` does, and resolves with its secret
 * (`shj_...`), for `startAgent({ joinToken })`. A join token enrolls one node.
 */
export async function createJoinToken(
  server: StartedServer,
  options: CreateJoinTokenOptions = {},
): Promise<string> {
  const admin = createSherpaClient({
    baseUrl: server.baseUrl,
    token: server.adminToken,
    timeoutMs: 5000,
  });
  const { secret } = await admin.access.createJoinToken({ labels: options.labels ?? {} });
  if (secret === "") {
    throw new Error("CreateJoinToken returned no secret");
  }
  return secret;
}
