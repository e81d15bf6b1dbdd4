import type { FastifyReply, FastifyRequest } from "fastify";
import type { AuditLog } from "../access/audit-log.js";
import type { RateLimiter } from "../access/rate-limiter.js";
import type { Permission } from "../access/roles.js";

/** What {@link requirePermission} needs. */
export interface RoutePermissionDeps {
  audit: AuditLog;
  /** The per-principal limiter the RPCs use, so plain routes count against the same budget. */
  limiter: RateLimiter;
  /** Called for each call refused by the limiter, for the metrics. */
  onLimited: (kind: string) => void;
}

/**
 * A route hook for plain HTTP routes (WebSocket upgrades, `/metrics`) that
 * applies the rules the interceptors apply to RPCs: 401 without a principal,
 * 403 without the permission (each audited), and 429 with `Retry-After` when
 * the principal is over its rate limit.
 */
export function requirePermission(permission: Permission, deps: RoutePermissionDeps) {
  const { audit } = deps;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = request.principal;
    if (principal?.permissions.has(permission) === true) {
      const waitMs = deps.limiter.take(`${principal.kind}:${principal.id}`);
      if (waitMs === 0) {
        return;
      }
      deps.onLimited(principal.kind);
      return reply
        .code(429)
        .header("retry-after", String(Math.ceil(waitMs / 1000)))
        .send({
          code: "resource_exhausted",
          message: `rate limit exceeded for ${principal.subject}; retry in ${waitMs} ms`,
        });
    }
    const unauthenticated = principal === undefined;
    const message = unauthenticated
      ? "this route needs a credential"
      : `${request.url.split("?")[0]} needs permission ${permission}, which ${principal.subject} does not have`;
    audit.record({
      requestId: request.id,
      principal,
      peer: request.ip,
      userAgent: request.headers["user-agent"] ?? "",
      rpc: `${request.method} ${request.url.split("?")[0]}`,
      target: {},
      decision: "deny",
      reason: message,
      code: unauthenticated ? "unauthenticated" : "permission_denied",
    });
    return reply
      .code(unauthenticated ? 401 : 403)
      .send({ code: unauthenticated ? "unauthenticated" : "permission_denied", message });
  };
}
