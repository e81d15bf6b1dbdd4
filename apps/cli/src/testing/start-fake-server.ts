import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";

/** One call the fake server received. */
export interface ReceivedCall {
  /** The method, for example "sherpa.v1.AccessService/WhoAmI". */
  readonly method: string;
  /** The request's `authorization` header; null when it had none. */
  readonly authorization: string | null;
}

/** A server on a free loopback port implementing the handlers a test needs. */
export interface FakeServer {
  /** Its base URL, for example `http://127.0.0.1:40123`, to pass as `--server`. */
  readonly url: string;
  /** Every call received so far, in order; tests may empty it. */
  readonly calls: ReceivedCall[];
  /** Closes the server and its connections. */
  close(): Promise<void>;
}

/**
 * Starts a real Connect server for CLI tests: `routes` registers the few
 * service methods the test calls (the others answer Unimplemented). HTTP/1.1
 * serves Connect and gRPC-Web; HTTP/2 (cleartext) serves gRPC as well. Every
 * call is recorded in `calls`, with its Authorization header, before its handler runs.
 */
export async function startFakeServer(
  routes: (router: ConnectRouter) => void,
  httpVersion: "1.1" | "2" = "1.1",
): Promise<FakeServer> {
  const calls: ReceivedCall[] = [];
  const record: Interceptor = (next) => (request) => {
    calls.push({
      method: `${request.service.typeName}/${request.method.name}`,
      authorization: request.header.get("authorization"),
    });
    return next(request);
  };
  const handler = connectNodeAdapter({ routes, interceptors: [record] });
  if (httpVersion === "1.1") {
    const server = http.createServer(handler);
    const url = await listen(server);
    return {
      url,
      calls,
      close() {
        server.closeAllConnections();
        return close(server);
      },
    };
  }
  const server = http2.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  const url = await listen(server);
  return {
    url,
    calls,
    close() {
      for (const session of sessions) session.destroy();
      return close(server);
    },
  };
}

function listen(server: http.Server | http2.Http2Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}

function close(server: http.Server | http2.Http2Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
  });
}
