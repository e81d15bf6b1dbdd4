export { Code, ConnectError } from "@connectrpc/connect";
export type { SherpaHttpVersion, SherpaProtocol } from "./client-options.js";
export type {
  SherpaClient,
  SherpaClientOptions,
  SherpaNodeOptions,
} from "./create-sherpa-client.js";
export { createSherpaClient } from "./create-sherpa-client.js";
export type {
  NodeServiceClient,
  QueueServiceClient,
  ResourceGroupServiceClient,
  SherpaServiceClients,
  TaskServiceClient,
} from "./gen/sherpa_clients_pb.js";
export { createSherpaServiceClients } from "./gen/sherpa_clients_pb.js";
export type { SherpaToken } from "./token-interceptor.js";
