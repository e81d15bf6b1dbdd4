import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { TaskService, TaskState } from "@sherpa/proto";

/** The authorization header the test server requires on every call. */
export const testAuthorization = "Bearer test-token";

/** A task ID whose GetTask waits until the call's deadline passes. */
export const slowTaskId = "slow-task";

/** A task server listening on loopback, for round-trip tests. */
export interface TestTaskServer {
  /** The server's URL, for example `http://127.0.0.1:40123`. */
  readonly baseUrl: string;
  /** Closes the server and its connections. */
  close(): Promise<void>;
}

/**
 * Starts a server implementing TaskService.GetTask on a free loopback port:
 * HTTP/1.1 serves Connect and gRPC-Web, HTTP/2 (cleartext, h2c) serves all three
 * protocols. Every task ID exists except those starting with "missing".
 */
export async function startTestTaskServer(httpVersion: "1.1" | "2"): Promise<TestTaskServer> {
  const handler = connectNodeAdapter({ routes });
  if (httpVersion === "1.1") {
    const server = http.createServer(handler);
    return {
      baseUrl: await listen(server),
      close: () => {
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
  return {
    baseUrl: await listen(server),
    close: () => {
      for (const session of sessions) {
        session.destroy();
      }
      return close(server);
    },
  };
}

function routes(router: ConnectRouter) {
  router.service(TaskService, {
    async getTask(request, context) {
      if (context.requestHeader.get("authorization") !== testAuthorization) {
        throw new ConnectError("missing or wrong authorization header", Code.Unauthenticated);
      }
      if (request.id === slowTaskId) {
        await sleep(10_000, undefined, { signal: context.signal });
      }
      if (request.id.startsWith("missing")) {
        throw new ConnectError(`task ${request.id} not found`, Code.NotFound);
      }
      return { task: { id: request.id, name: "train-llm", state: TaskState.RUNNING } };
    },
  });
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
