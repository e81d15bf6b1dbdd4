import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  PrincipalKind,
  type Principal as PrincipalMessage,
  PrincipalSchema,
  Role as RoleMessage,
  TokenKind as TokenKindMessage,
  type Token as TokenMessage,
  TokenSchema,
} from "@sherpa/proto";
import type { Principal } from "../access/principal.js";
import type { Credential, Role, TokenKind } from "../domain/credential.js";

const roleToMessage: Record<Role, RoleMessage> = {
  viewer: RoleMessage.VIEWER,
  submitter: RoleMessage.SUBMITTER,
  operator: RoleMessage.OPERATOR,
  admin: RoleMessage.ADMIN,
};

const kindToMessage: Record<TokenKind, TokenKindMessage> = {
  api: TokenKindMessage.API,
  join: TokenKindMessage.JOIN,
  node: TokenKindMessage.NODE,
};

const principalKindToMessage: Record<Principal["kind"], PrincipalKind> = {
  token: PrincipalKind.TOKEN,
  oidc: PrincipalKind.OIDC,
  node: PrincipalKind.NODE,
  "embedded-agent": PrincipalKind.EMBEDDED_AGENT,
  join: PrincipalKind.JOIN,
};

/** The domain role of a Role enum value; undefined for UNSPECIFIED or unknown values. */
export function roleFromMessage(role: RoleMessage): Role | undefined {
  const entry = Object.entries(roleToMessage).find(([, value]) => value === role);
  return entry?.[0] as Role | undefined;
}

/** The domain token kind of a TokenKind enum value; undefined for UNSPECIFIED. */
export function tokenKindFromMessage(kind: TokenKindMessage): TokenKind | undefined {
  const entry = Object.entries(kindToMessage).find(([, value]) => value === kind);
  return entry?.[0] as TokenKind | undefined;
}

/** The API message of a stored token: never its secret or hash. */
export function toTokenMessage(credential: Credential): TokenMessage {
  return create(TokenSchema, {
    id: credential.id,
    kind: kindToMessage[credential.kind],
    name: credential.name,
    role: credential.role === undefined ? RoleMessage.UNSPECIFIED : roleToMessage[credential.role],
    queues: credential.queues,
    labels: credential.labels,
    createdBy: credential.createdBy,
    createTime: timestampFromDate(credential.createTime),
    expireTime: optionalTimestamp(credential.expireTime),
    revokeTime: optionalTimestamp(credential.revokeTime),
  });
}

/** The API message of a principal. */
export function toPrincipalMessage(principal: Principal): PrincipalMessage {
  return create(PrincipalSchema, {
    id: principal.id,
    kind: principalKindToMessage[principal.kind],
    subject: principal.subject,
    role: principal.role === undefined ? RoleMessage.UNSPECIFIED : roleToMessage[principal.role],
    queues: [...principal.queues],
    nodeName: principal.nodeName,
    permissions: [...principal.permissions].sort(),
    expireTime: optionalTimestamp(principal.expireTime),
  });
}

function optionalTimestamp(date: Date | undefined) {
  return date === undefined ? undefined : timestampFromDate(date);
}
