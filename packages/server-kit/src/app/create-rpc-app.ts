import type http from "node:http";
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from "fastify";
import { serveGrpcWebText } from "../grpc-web-text/serve-grpc-web-text.js";
import {
  createListener,
  type Listener,
  type ListenerOptions,
} from "../listener/create-listener.js";
import { resolveRequestId } from "../logging/resolve-request-id.js";
import { refuseRequestsWithoutAuthority } from "./refuse-requests-without-authority.js";

/** Options of {@link createRpcApp}. */
export interface RpcAppOptions {
  /** Fastify's pino logger options: level, and a stream or transport. */
  logger: FastifyServerOptions["logger"];
  /** TLS, HTTP/2 stream limit and timeouts of the one listener. */
  listener: ListenerOptions;
}

/**
 * Creates the Fastify app an RPC server is built on, not yet listening: one
 * server-kit listener for HTTP/1.1 and HTTP/2 (h2c or TLS with ALPN) on one
 * port; gRPC-Web text mode served beside the binary modes; request ids taken
 * from `x-request-id` or generated; no access log line
 * per request, because the RPC logging interceptor writes one per call; a
 * request without a usable `Host` refused before any hook of the caller's;
 * and HTTP/2 sessions told to go away (GOAWAY) and idle keep-alive
 * connections closed when the app closes.
 */
export function createRpcApp(options: RpcAppOptions): FastifyInstance<http.Server> {
  let listener: Listener | undefined;
  const app = Fastify({
    logger: options.logger,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (request) => resolveRequestId(firstHeader(request.headers["x-request-id"])),
    serverFactory: (handler) => {
      listener = createListener((request, response) => {
        serveGrpcWebText(request, response);
        handler(request, response);
      }, options.listener);
      return listener.server;
    },
  });
  refuseRequestsWithoutAuthority(app);
  // Without this, open HTTP/2 sessions and keep-alive connections hold close() up.
  app.addHook("preClose", (done) => {
    listener?.beginClosing();
    done();
  });
  return app;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
