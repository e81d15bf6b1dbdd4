import { type Duration, durationMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { AccessService } from "@sherpa/proto";
import { callerOf } from "../access/principal-context.js";
import { newToken, parseToken } from "../access/secret-token.js";
import type { AgentSessions } from "../agents/agent-sessions.js";
import type { CredentialStore } from "../storage/credential-store.js";
import { decodePageToken } from "../storage/pagination.js";
import { FieldViolations } from "./field-violations.js";
import { checkLabels, checkPageSize, checkRequired, checkResourceName } from "./request-checks.js";
import {
  roleFromMessage,
  tokenKindFromMessage,
  toPrincipalMessage,
  toTokenMessage,
} from "./token-message.js";

/** What the access service needs. */
export interface AccessServiceDeps {
  credentials: CredentialStore;
  /** Where a revoked node's open session is closed. */
  sessions: Pick<AgentSessions, "disconnect">;
  now: () => Date;
}

const minuteMs = 60_000;
const maxTokenTtlMs = 10 * 365 * 24 * 60 * minuteMs;
const defaultJoinTtlMs = 60 * minuteMs;
const maxJoinTtlMs = 7 * 24 * 60 * minuteMs;

/** Implements sherpa.v1.AccessService: who am I, API tokens, join tokens, node credentials. */
export function createAccessService(deps: AccessServiceDeps): ServiceImpl<typeof AccessService> {
  async function revoke(id: string) {
    const revoked = await deps.credentials.revokeCredential(id, deps.now());
    if (revoked.kind === "node") {
      deps.sessions.disconnect(revoked.name, "the node's credential was revoked");
    }
    return { token: toTokenMessage(revoked) };
  }

  return {
    whoAmI(_request, context) {
      return { principal: toPrincipalMessage(callerOf(context)) };
    },

    async createToken(request, context) {
      const violations = new FieldViolations();
      checkResourceName(violations, "name", request.name);
      const role = roleFromMessage(request.role);
      if (role === undefined) {
        violations.add("role", "is required: viewer, submitter, operator or admin");
      }
      request.queues.forEach((queue, index) => {
        checkResourceName(violations, `queues[${index}]`, queue);
      });
      const ttlMs = checkTtl(violations, "ttl", request.ttl, maxTokenTtlMs);
      violations.throwIfAny();
      const now = deps.now();
      const token = newToken("api");
      const stored = await deps.credentials.addCredential(
        {
          id: token.id,
          kind: "api",
          name: request.name,
          role,
          queues: [...new Set(request.queues)],
          labels: {},
          secretHash: token.secretHash,
          createdBy: callerOf(context).subject,
          expireTime: ttlMs === undefined ? undefined : new Date(now.getTime() + ttlMs),
        },
        now,
      );
      return { secret: token.text, token: toTokenMessage(stored) };
    },

    async listTokens(request) {
      const violations = new FieldViolations();
      const pageSize = checkPageSize(violations, request.pageSize);
      violations.throwIfAny();
      const page = await deps.credentials.listCredentials(
        { pageSize, after: decodePageToken<string>(request.pageToken, "string") },
        { kind: tokenKindFromMessage(request.kind), includeInactive: request.includeInactive },
        deps.now(),
      );
      return { tokens: page.items.map(toTokenMessage), nextPageToken: page.nextPageToken };
    },

    async revokeToken(request) {
      const violations = new FieldViolations();
      checkRequired(violations, "id", request.id);
      violations.throwIfAny();
      // The whole token is accepted too, as people paste what they have.
      return revoke(parseToken(request.id)?.id ?? request.id);
    },

    async createJoinToken(request, context) {
      const violations = new FieldViolations();
      checkLabels(violations, "labels", request.labels);
      const ttlMs = checkTtl(violations, "ttl", request.ttl, maxJoinTtlMs) ?? defaultJoinTtlMs;
      violations.throwIfAny();
      const now = deps.now();
      const token = newToken("join");
      const stored = await deps.credentials.addCredential(
        {
          id: token.id,
          kind: "join",
          name: "",
          role: undefined,
          queues: [],
          labels: request.labels,
          secretHash: token.secretHash,
          createdBy: callerOf(context).subject,
          expireTime: new Date(now.getTime() + ttlMs),
        },
        now,
      );
      return { secret: token.text, token: toTokenMessage(stored) };
    },

    async revokeNodeCredential(request) {
      const violations = new FieldViolations();
      checkRequired(violations, "node_name", request.nodeName);
      violations.throwIfAny();
      const revoked = await deps.credentials.revokeNodeCredential(request.nodeName, deps.now());
      deps.sessions.disconnect(revoked.name, "the node's credential was revoked");
      return { credential: toTokenMessage(revoked) };
    },
  };
}

function checkTtl(
  violations: FieldViolations,
  field: string,
  ttl: Duration | undefined,
  maxMs: number,
): number | undefined {
  if (ttl === undefined) {
    return undefined;
  }
  const ms = durationMs(ttl);
  if (ms < minuteMs || ms > maxMs) {
    violations.add(field, `must be from 1 minute to ${Math.round(maxMs / 86_400_000)} days`);
  }
  return ms;
}
