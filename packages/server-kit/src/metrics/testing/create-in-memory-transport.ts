import {
  type ConnectRouter,
  type Interceptor,
  type Transport,
  createConnectRouter,
} from "@connectrpc/connect";
import { type CommonTransportOptions, createUniversalHandlerClient } from "@connectrpc/connect/protocol";
import { createTransport as createConnectTransport } from "@connectrpc/connect/protocol-connect";
import { createTransport as createGrpcTransport } from "@connectrpc/connect/protocol-grpc";
import { createTransport as createGrpcWebTransport } from "@connectrpc/connect/protocol-grpc-web";
import type { ProtocolName } from "../../logging/protocol-name.js";

/** Options of {@link createInMemoryTransport}. */
export interface InMemoryTransportOptions {
  /** The wire protocol the client speaks; the server speaks all of them. */
  protocol: ProtocolName;
  /** Server interceptors, outermost first. */
  interceptors: Interceptor[];
}

const transportOf: Record<ProtocolName, (options: CommonTransportOptions) => Transport> = {
  connect: createConnectTransport,
  grpc: createGrpcTransport,
  "grpc-web": createGrpcWebTransport,
};

/**
 * Like `createRouterTransport`, but for any of the three protocols, so that a
 * test can show that a server interceptor behaves the same on each of them.
 */
export function createInMemoryTransport(
  routes: (router: ConnectRouter) => void,
  { protocol, interceptors }: InMemoryTransportOptions,
): Transport {
  const router = createConnectRouter({ interceptors });
  routes(router);
  return transportOf[protocol]({
    httpClient: createUniversalHandlerClient(router.handlers),
    baseUrl: "https://in-memory",
    useBinaryFormat: true,
    interceptors: [],
    acceptCompression: [],
    sendCompression: null,
    compressMinBytes: Number.MAX_SAFE_INTEGER,
    readMaxBytes: Number.MAX_SAFE_INTEGER,
    writeMaxBytes: Number.MAX_SAFE_INTEGER,
  });
}
