import {
  Code,
  ConnectError,
  type ConnectRouter,
  createConnectRouter,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import {
  type CommonTransportOptions,
  createAsyncIterable,
  type UniversalClientFn,
  type UniversalHandler,
} from "@connectrpc/connect/protocol";
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
    httpClient: createLiveTrailerClient(router.handlers),
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

// connect-es' createUniversalHandlerClient copies the trailers as the response
// starts, so a gRPC client never sees a status sent after the first message;
// handing over the server's own trailers shows it what a networked client sees.
function createLiveTrailerClient(handlers: UniversalHandler[]): UniversalClientFn {
  const handlerOf = new Map(handlers.map((handler) => [handler.requestPath, handler]));
  return async (req) => {
    const path = new URL(req.url).pathname;
    const handler = handlerOf.get(path);
    if (handler === undefined) {
      throw new ConnectError(`no handler for ${path}`, Code.Unimplemented);
    }
    const res = await handler({
      body: req.body ?? createAsyncIterable([]),
      httpVersion: "2.0",
      method: req.method,
      url: req.url,
      header: req.header,
      signal: req.signal ?? new AbortController().signal,
    });
    return {
      status: res.status,
      header: res.header ?? new Headers(),
      body: res.body ?? createAsyncIterable([]),
      trailer: res.trailer ?? new Headers(),
    };
  };
}
