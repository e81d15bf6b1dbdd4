import type { SecureContextOptions } from "node:tls";
import type { Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import {
  type ResolvedClientOptions,
  resolveClientOptions,
  type SherpaClientBaseOptions,
} from "./client-options.js";
import { createSherpaServiceClients, type SherpaServiceClients } from "./gen/sherpa_clients_pb.js";

/** A typed client for every Sherpa service: `client.tasks`, `client.queues`, ... */
export type SherpaClient = SherpaServiceClients;

/** TLS settings for `https://` base URLs, passed to Node.js as they are. */
export type SherpaNodeOptions = Pick<SecureContextOptions, "ca" | "cert" | "key">;

/** Options of the Node.js `createSherpaClient`. */
export interface SherpaClientOptions extends SherpaClientBaseOptions {
  /**
   * TLS settings: `ca` to trust a private certificate authority, `cert` and `key`
   * for mutual TLS. Only valid with an `https://` base URL.
   */
  nodeOptions?: SherpaNodeOptions;
}

/**
 * Creates a Sherpa client for Node.js that speaks Connect, gRPC or gRPC-Web over
 * the `http`, `https` or `http2` module. Throws if an option is invalid.
 *
 * Without a `token` option (and without an `authorization` header in
 * `headers`), the client sends the token in the `SHERPA_TOKEN` environment
 * variable, read once here, when it is set and not empty.
 *
 * @example
 * const sherpa = createSherpaClient({ baseUrl: "http://localhost:8080", protocol: "grpc" });
 * const { task } = await sherpa.tasks.getTask({ id: "t-1" });
 */
export function createSherpaClient(options: SherpaClientOptions): SherpaClient {
  const resolved = resolveClientOptions(options, process.env.SHERPA_TOKEN);
  if (options.nodeOptions !== undefined && new URL(resolved.baseUrl).protocol !== "https:") {
    throw new Error(
      'createSherpaClient: option "nodeOptions" holds TLS settings and needs an https:// "baseUrl"',
    );
  }
  return createSherpaServiceClients(createNodeTransport(resolved, options.nodeOptions));
}

function createNodeTransport(
  options: ResolvedClientOptions,
  nodeOptions: SherpaNodeOptions | undefined,
): Transport {
  const { protocol, httpVersion, ...common } = options;
  switch (protocol) {
    case "grpc":
      return createGrpcTransport({ ...common, nodeOptions });
    case "grpc-web":
      return createGrpcWebTransport({ ...common, httpVersion, nodeOptions });
    case "connect":
      return createConnectTransport({ ...common, httpVersion, nodeOptions });
  }
}
