import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type Principal, PrincipalKind, Role, type Token, TokenKind } from "@sherpa/proto";
import { enumName } from "./enum-name.js";
import { formatPairs } from "./format-pairs.js";
import { formatAge, formatAgeSince, formatTimestamp } from "./format-time.js";
import { renderFields } from "./render-fields.js";
import { renderTable } from "./render-table.js";

/** Renders the caller as WhoAmI returns it: subject, kind, role, queues, node, permissions, expiry. */
export function renderPrincipalFields(principal: Principal, nowMs: number): string {
  return renderFields([
    ["Subject", principal.subject],
    ["Kind", enumName(PrincipalKind, principal.kind)],
    ["Role", principal.role === Role.UNSPECIFIED ? "none" : enumName(Role, principal.role)],
    ["Queues", queueGrants(principal.queues)],
    ["Node", principal.nodeName],
    ["Permissions", principal.permissions.join(", ") || "none"],
    ["Credential", principal.id],
    ["Expires", formatExpiry(principal.expireTime, nowMs)],
  ]);
}

/** Renders tokens as a table: ID, kind, name, role, queues, and when each was created, expires and was revoked. */
export function renderTokenTable(tokens: readonly Token[], nowMs: number): string {
  return renderTable(
    ["ID", "KIND", "NAME", "ROLE", "QUEUES", "CREATED", "EXPIRES", "REVOKED"],
    tokens.map((token) => [
      token.id,
      enumName(TokenKind, token.kind),
      token.name,
      token.role === Role.UNSPECIFIED ? "" : enumName(Role, token.role),
      token.kind === TokenKind.API ? queueGrants(token.queues) : "",
      ago(token.createTime, nowMs),
      token.expireTime === undefined ? "never" : relativeTo(token.expireTime, nowMs),
      ago(token.revokeTime, nowMs),
    ]),
  );
}

/** Describes a token in one line for stderr after creating it: kind, name, role, queues, labels, expiry. */
export function describeToken(token: Token, nowMs: number): string {
  const parts = [
    `${enumName(TokenKind, token.kind).toLowerCase()} token ${token.id}`,
    token.name && `for ${token.name}`,
    token.role === Role.UNSPECIFIED ? "" : `role ${enumName(Role, token.role)}`,
    token.kind === TokenKind.API ? `queues ${queueGrants(token.queues)}` : "",
    Object.keys(token.labels).length > 0 ? `labels ${formatPairs(token.labels)}` : "",
    `expires ${formatExpiry(token.expireTime, nowMs)}`,
  ];
  return parts.filter((part) => part !== "").join(", ");
}

// An empty list grants every queue.
function queueGrants(queues: readonly string[]): string {
  return queues.length === 0 ? "all" : queues.join(",");
}

function formatExpiry(time: Timestamp | undefined, nowMs: number): string {
  return time === undefined ? "never" : `${formatTimestamp(time)} (${relativeTo(time, nowMs)})`;
}

function relativeTo(time: Timestamp, nowMs: number): string {
  const ms = timestampMs(time) - nowMs;
  return ms > 0 ? `in ${formatAge(ms)}` : `${formatAge(-ms)} ago`;
}

function ago(time: Timestamp | undefined, nowMs: number): string {
  return time === undefined ? "" : `${formatAgeSince(time, nowMs)} ago`;
}
