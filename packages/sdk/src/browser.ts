// The browser entry point of @sherpa/sdk, chosen by bundlers through the "browser"
// export condition. It must not import Node.js modules, directly or through connect-node.
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { resolveClientOptions, type SherpaClientBaseOptions } from "./client-options.js";
import { createSherpaServiceClients, type SherpaServiceClients } from "./gen/sherpa_clients_pb.js";

export { Code, ConnectError } from "@connectrpc/connect";
export type { SherpaProtocol } from "./client-options.js";
export type {
  NodeServiceClient,
  QueueServiceClient,
  ResourceGroupServiceClient,
  SherpaServiceClients,
  TaskServiceClient,
} from "./gen/sherpa_clients_pb.js";
export { createSherpaServiceClients } from "./gen/sherpa_clients_pb.js";
export type { SherpaToken } from "./token-interceptor.js";

/** A typed client for every Sherpa service: `client.tasks`, `client.queues`, ... */
export type SherpaClient = SherpaServiceClients;

/**
 * Options of the browser `createSherpaClient`. There is no `httpVersion`: the
 * browser negotiates it.
 */
export type SherpaClientOptions = Omit<SherpaClientBaseOptions, "httpVersion">;

/**
 * Creates a Sherpa client for browsers that speaks Connect or gRPC-Web over
 * `fetch`. Throws if an option is invalid, or for protocol "grpc", which
 * browsers cannot speak.
 *
 * @example
 * const sherpa = createSherpaClient({ baseUrl: "https://sherpa.example.com" });
 * const { tasks } = await sherpa.tasks.listTasks({ queue: "training" });
 */
export function createSherpaClient(options: SherpaClientOptions): SherpaClient {
  const resolved = resolveClientOptions(options);
  switch (resolved.protocol) {
    case "grpc":
      throw new Error(
        'createSherpaClient: protocol "grpc" is not available in browsers, which cannot read the HTTP/2 trailers gRPC needs; use "grpc-web" or "connect"',
      );
    case "grpc-web":
      return createSherpaServiceClients(createGrpcWebTransport(resolved));
    case "connect":
      return createSherpaServiceClients(createConnectTransport(resolved));
  }
}
