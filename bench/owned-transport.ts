import type { Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import type { Protocol } from "./unary-cases.js";

/** A real client's transport and a way to close its connection. */
export interface OwnedTransport {
  transport: Transport;
  /**
   * Closes the HTTP/2 connection. connect-node keeps it open otherwise, and
   * one holding a cancelled stream keeps Sherpa's shutdown waiting for its
   * grace period.
   */
  close(): void;
}

/** A transport for a protocol, the same one for every server. */
export function createOwnedTransport(protocol: Protocol, baseUrl: string): OwnedTransport {
  if (protocol === "connect-json") {
    return {
      transport: createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false }),
      close: () => {},
    };
  }
  const sessionManager = new Http2SessionManager(baseUrl);
  const transport =
    protocol === "grpc"
      ? createGrpcTransport({ baseUrl, sessionManager })
      : createConnectTransport({
          baseUrl,
          httpVersion: "2",
          useBinaryFormat: true,
          sessionManager,
        });
  return { transport, close: () => sessionManager.abort() };
}
