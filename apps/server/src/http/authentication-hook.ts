import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { RetryInfoSchema } from "@sherpa/proto/google/rpc/error_details_pb.js";
import { sendRpcError } from "@sherpa/server-kit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AuditLog } from "../access/audit-log.js";
import type { Authenticator } from "../access/create-authenticator.js";
import type { Principal } from "../access/principal.js";
import type { RateLimiter } from "../access/rate-limiter.js";
import { reasonedError } from "../services/reasoned-error.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The authenticated caller; undefined only on the open probe routes. */
    principal: Principal | undefined;
  }
}

/** What {@link registerAuthentication} needs. */
export interface AuthenticationDeps {
  authenticator: Authenticator;
  /** Failed authentications per peer address. */
  failures: RateLimiter;
  /** Called when a peer address is refused for too many failures, for the metrics. */
  onLimited: () => void;
  audit: AuditLog;
  /** Paths that need no credential: probes. */
  publicPaths: ReadonlySet<string>;
  logger: { warn(details: object, message: string): void };
}

/** Offered by WebSocket clients beside `bearer.<token>`; the server picks it. */
export const webSocketProtocol = "sherpa.v1";
const webSocketBearerPrefix = "bearer.";

/**
 * Authenticates every request before its body is read (an `onRequest` hook),
 * so that a caller without a valid credential cannot make the server parse
 * anything: it gets Unauthenticated in its own protocol, with
 * `WWW-Authenticate: Bearer`, and is audited. The credential is an
 * `authorization: Bearer` header, or for WebSockets a `bearer.<token>` entry
 * of `Sec-WebSocket-Protocol` (browsers cannot set headers, and URLs end up in
 * logs). Probes and CORS preflights pass without one. A peer address with too
 * many failures gets ResourceExhausted with RetryInfo until its bucket refills.
 */
export function registerAuthentication(app: FastifyInstance, deps: AuthenticationDeps): void {
  app.decorateRequest("principal", undefined);
  app.addHook("onRequest", async (request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    if (request.method === "OPTIONS" || deps.publicPaths.has(path)) {
      return;
    }
    const waitMs = deps.failures.peek(request.ip);
    if (waitMs > 0) {
      deps.onLimited();
      const error = reasonedError(
        `too many failed authentications from ${request.ip}; retry in ${Math.ceil(waitMs / 1000)} s`,
        Code.ResourceExhausted,
        "TOO_MANY_AUTH_FAILURES",
        [{ desc: RetryInfoSchema, value: { retryDelay: durationFromMs(waitMs) } }],
      );
      audit(deps.audit, request, path, error);
      return sendRpcError(request, reply, error);
    }
    try {
      const bearer = bearerOf(request);
      if (bearer === undefined) {
        throw reasonedError(
          "this call needs a credential: send `authorization: Bearer <token>` (the first-start admin token is in <data dir>/admin-token)",
          Code.Unauthenticated,
          "CREDENTIAL_MISSING",
        );
      }
      request.principal = await deps.authenticator.authenticate(bearer);
    } catch (caught) {
      const error = ConnectError.from(caught);
      if (error.code === Code.Unauthenticated) {
        deps.failures.take(request.ip);
        reply.header("www-authenticate", 'Bearer realm="sherpa"');
      } else {
        deps.logger.warn({ err: caught, reqId: request.id }, "authentication could not complete");
      }
      audit(deps.audit, request, path, error);
      return sendRpcError(request, reply, error);
    }
  });
}

/** The bearer credential of a request, from its header or its WebSocket protocols. */
function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match === null) {
      throw reasonedError(
        "the authorization header must be `Bearer <token>`",
        Code.Unauthenticated,
        "CREDENTIAL_MALFORMED",
      );
    }
    return match[1];
  }
  const protocols = request.headers["sec-websocket-protocol"];
  if (typeof protocols === "string") {
    const entry = protocols
      .split(",")
      .map((item) => item.trim())
      .find((item) => item.startsWith(webSocketBearerPrefix));
    return entry?.slice(webSocketBearerPrefix.length);
  }
  return undefined;
}

function audit(log: AuditLog, request: FastifyRequest, path: string, error: ConnectError) {
  log.record({
    requestId: request.id,
    principal: undefined,
    peer: request.ip,
    userAgent: request.headers["user-agent"] ?? "",
    rpc: `${request.method} ${path}`,
    target: {},
    decision: "deny",
    reason: error.rawMessage,
    code: codeToString(error.code),
  });
}
