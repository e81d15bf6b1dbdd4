import type { FastifyReply, FastifyRequest } from "fastify";
import type { AuditLog } from "../access/audit-log.js";
import type { Permission } from "../access/roles.js";

/**
 * A route hook for plain HTTP routes (WebSocket upgrades, `/metrics`) that
 * refuses callers without a permission: 401 without a principal, 403 without
 * the permission, each audited, the same rule the authorization interceptor
 * applies to RPCs.
 */
export function requirePermission(permission: Permission, audit: AuditLog) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = request.principal;
    if (principal?.permissions.has(permission) === true) {
      return;
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
