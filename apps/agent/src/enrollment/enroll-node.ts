import { setTimeout as sleep } from "node:timers/promises";
import { ConnectError } from "@connectrpc/connect";
import type { EnrollResponse } from "@sherpa/proto";
import type { SherpaServiceClients } from "@sherpa/sdk";
import {
  createReconnectBackoff,
  type ReconnectBackoffOptions,
} from "../agent/reconnect-backoff.js";
import type { AgentLogger } from "../agent-logger.js";
import { AgentRefusedError } from "./agent-refused-error.js";

/** Options of enrollNode. */
export interface EnrollNodeOptions {
  /** Clients that send the join token as their bearer token. */
  clients: Pick<SherpaServiceClients, "agents">;
  nodeName: string;
  logger: AgentLogger;
  /** Delays between attempts while the server cannot be reached. */
  reconnect?: ReconnectBackoffOptions;
}

/**
 * Exchanges the join token for the node's credential (AgentService.Enroll).
 * While the server cannot be reached it tries again with backoff; a refusal
 * (a bad join token, a name taken) is an AgentRefusedError.
 */
export async function enrollNode(options: EnrollNodeOptions): Promise<EnrollResponse> {
  const backoff = createReconnectBackoff(options.reconnect);
  for (;;) {
    try {
      return await options.clients.agents.enroll({ nodeName: options.nodeName });
    } catch (caught) {
      const error = ConnectError.from(caught);
      const refusal = AgentRefusedError.enrollRefused(error, options.nodeName);
      if (refusal !== undefined) {
        throw refusal;
      }
      const delayMs = backoff.nextDelayMs();
      options.logger.warn(
        { err: error.message, delayMs },
        "cannot enroll with the server; retrying",
      );
      await sleep(delayMs);
    }
  }
}
