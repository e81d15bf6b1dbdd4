/** Global roles, each allowed what the one before it is. */
export const roles = ["viewer", "submitter", "operator", "admin"] as const;

/** A global role. */
export type Role = (typeof roles)[number];

/** What a secret token is for: a person or program, enrolling one node, or being a node. */
export type TokenKind = "api" | "join" | "node";

/** A stored token. Only a hash of its secret is kept. */
export interface Credential {
  /** The public part of the token. */
  id: string;
  kind: TokenKind;
  /** Who an API token acts for, or the node a node credential belongs to ("" for join tokens). */
  name: string;
  /** Role of an API token. */
  role: Role | undefined;
  /** Queue grants of an API token; empty for every queue. */
  queues: string[];
  /** Labels a join token gives its node, kept by the node credential. */
  labels: Record<string, string>;
  secretHash: string;
  /** Subject of the principal that created it. */
  createdBy: string;
  createTime: Date;
  expireTime: Date | undefined;
  /** When it was revoked, or a join token used. */
  revokeTime: Date | undefined;
}

/** Whether a credential can still be used at a time. */
export function isUsable(credential: Credential, now: Date): boolean {
  return (
    credential.revokeTime === undefined &&
    (credential.expireTime === undefined || credential.expireTime > now)
  );
}
