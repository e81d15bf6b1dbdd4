import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { peerAddressKey, requestIdKey } from "@sherpa/server-kit";
import { reasonedError } from "../services/reasoned-error.js";
import type { AuditLog } from "./audit-log.js";
import type { Principal } from "./principal.js";
import { principalKey } from "./principal-context.js";
import type { RpcPolicy } from "./rpc-policies.js";
import { parseToken } from "./secret-token.js";

/** What {@link createAuthorizationInterceptor} needs. */
export interface AuthorizationDeps {
  /** What each RPC needs, keyed `package.Service/Method`; an RPC not listed is refused. */
  policies: ReadonlyMap<string, RpcPolicy>;
  audit: AuditLog;
}

/**
 * Authorizes every call against the policy table, default deny: an RPC with
 * no policy is refused, a call without a principal is Unauthenticated, and a
 * principal without the permission is PermissionDenied. It writes the audit
 * line of each mutating unary call (with its result code) and of each call
 * refused here or by a handler (ownership and queue grants).
 */
export function createAuthorizationInterceptor(deps: AuthorizationDeps): Interceptor {
  return (next) => async (request) => {
    const rpc = `${request.service.typeName}/${request.method.name}`;
    const principal = request.contextValues.get(principalKey);
    const policy = deps.policies.get(rpc);
    const audit = (code: Code | undefined, reason: string) =>
      deps.audit.record({
        requestId: request.contextValues.get(requestIdKey),
        principal,
        peer: request.contextValues.get(peerAddressKey),
        userAgent: request.header.get("user-agent") ?? "",
        rpc,
        target: request.stream ? {} : auditTarget(request.message),
        decision:
          code === Code.PermissionDenied || code === Code.Unauthenticated ? "deny" : "allow",
        reason,
        code: code === undefined ? "ok" : codeToString(code),
      });
    const refusal = refusalOf(policy, principal, rpc);
    if (refusal !== undefined) {
      audit(refusal.code, refusal.rawMessage);
      throw refusal;
    }
    const audited =
      policy !== "public" &&
      !request.stream &&
      request.method.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
    try {
      const response = await next(request);
      if (audited) {
        audit(undefined, "");
      }
      if (!response.stream) {
        return response;
      }
      const onRefused = (error: ConnectError) => audit(error.code, error.rawMessage);
      return { ...response, message: whileUsable(response.message, principal, onRefused) };
    } catch (caught) {
      const error = ConnectError.from(caught);
      if (audited || error.code === Code.PermissionDenied) {
        audit(error.code, error.code === Code.PermissionDenied ? error.rawMessage : "");
      }
      throw caught;
    }
  };
}

/**
 * The messages of a response stream, each sent only while the caller's
 * credential is still usable, so that a revoked token or an expired JWT gets
 * nothing more on the streams it opened. A refusal raised while streaming (a
 * handler's queue-grant or node check, or the lapsed credential) is audited
 * like one raised before the first message.
 */
async function* whileUsable<T>(
  messages: AsyncIterable<T>,
  principal: Principal | undefined,
  onRefused: (error: ConnectError) => void,
): AsyncIterable<T> {
  try {
    for await (const message of messages) {
      await principal?.checkStillUsable?.();
      yield message;
    }
  } catch (caught) {
    const error = ConnectError.from(caught);
    if (error.code === Code.PermissionDenied || error.code === Code.Unauthenticated) {
      onRefused(error);
    }
    throw caught;
  }
}

function refusalOf(
  policy: RpcPolicy | undefined,
  principal: Principal | undefined,
  rpc: string,
): ConnectError | undefined {
  if (policy === undefined) {
    return reasonedError(
      `${rpc} has no access policy, so nobody may call it`,
      Code.PermissionDenied,
      "NO_POLICY",
    );
  }
  if (policy === "public") {
    return undefined;
  }
  if (principal === undefined) {
    return reasonedError(
      "this call needs a credential",
      Code.Unauthenticated,
      "CREDENTIAL_MISSING",
    );
  }
  if (!principal.permissions.has(policy)) {
    const role = principal.role === undefined ? "no role" : `role ${principal.role}`;
    return reasonedError(
      `${rpc} needs permission ${policy}, which ${principal.subject} (${role}) does not have`,
      Code.PermissionDenied,
      "PERMISSION_MISSING",
    );
  }
  return undefined;
}

const targetFields = ["id", "name", "queue", "nodeName", "taskId"] as const;

/** What a request acts on, from its usual key fields, for the audit line. */
function auditTarget(message: object): Record<string, string> {
  const target: Record<string, string> = {};
  const fields = message as Record<string, unknown>;
  for (const field of targetFields) {
    const value = fields[field];
    if (typeof value === "string" && value !== "") {
      // RevokeToken takes a whole pasted token as its ID: log only the public part.
      target[field] = parseToken(value)?.id ?? value;
    } else if (typeof value === "object" && value !== null && "name" in value) {
      target[field] = String((value as { name: unknown }).name);
    }
  }
  return target;
}
