import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";

/** A server on a free loopback port implementing the handlers a test needs. */
export interface FakeServer {
  /** Its base URL, for example `http://127.0.0.1:40123`, to pass as `--server`. */
  readonly url: string;
  /** Closes the server and its connections. */
  close(): Promise<void>;
}

/**
 * Starts a real Connect server for CLI tests: `routes` registers the few
 * service methods the test calls (the others answer Unimplemented). HTTP/1.1
 * serves Connect and gRPC-Web; HTTP/2 (cleartext) serves gRPC as well.
 */
export async function startFakeServer(
  routes: (router: ConnectRouter) => void,
  httpVersion: "1.1" | "2" = "1.1",
): Promise<FakeServer> {
  const handler = connectNodeAdapter({ routes });
  if (httpVersion === "1.1") {
    const server = http.createServer(handler);
    const url = await listen(server);
    return {
      url,
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
