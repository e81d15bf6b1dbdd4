import { type Permission, permissionsOf, type Role } from "./roles.js";

/** What kind of caller a principal is; see `PrincipalKind` in access.proto. */
export type PrincipalKind = "token" | "oidc" | "node" | "embedded-agent" | "join";

/** An authenticated caller, as every authorization check sees it. */
export interface Principal {
  /** ID of the credential: a token ID, `oidc:<sub>`, or `embedded-agent`. */
  id: string;
  kind: PrincipalKind;
  /**
   * Who the caller is: a token's name, `oidc:<sub>`, or `node:<name>`. Tasks
   * are owned by it, so two tokens of one name act as one person.
   */
  subject: string;
  /** Global role; undefined for none (only WhoAmI is allowed then). */
  role: Role | undefined;
  /** Queues the caller may submit to and watch; empty for every queue. */
  queues: readonly string[];
  /** The node of an agent credential, or the node a join token may create; "" otherwise. */
  nodeName: string;
  /** Labels a join token or node credential gives its node. */
  labels: Readonly<Record<string, string>>;
  /** What the role, or the agent kind, allows. */
  permissions: ReadonlySet<Permission>;
  /** When the credential stops being valid; undefined for never. */
  expireTime: Date | undefined;
  /**
   * Rejects with Unauthenticated once the credential is no longer usable
   * (revoked or expired since the call began). Streams check it before each
   * message they send, so that revoking a token ends the streams it opened.
   * Undefined for a principal that cannot lapse, such as the embedded agent.
   */
  checkStillUsable?: () => Promise<void>;
}

/** Fields of a principal besides its permissions, which follow from kind and role. */
export type PrincipalFields = Omit<Principal, "permissions">;

/** Makes a principal, deriving its permissions from its kind and role. */
export function createPrincipal(fields: PrincipalFields): Principal {
  return { ...fields, permissions: permissionsOf(fields.kind, fields.role) };
}

/** The principal of a node's agent: it acts only as that node. */
export function createNodePrincipal(
  id: string,
  kind: "node" | "embedded-agent",
  nodeName: string,
  labels: Readonly<Record<string, string>> = {},
  expireTime: Date | undefined = undefined,
): Principal {
  return createPrincipal({
    id,
    kind,
    subject: `node:${nodeName}`,
    role: undefined,
    queues: [],
    nodeName,
    labels,
    expireTime,
  });
}

/** Whether the principal may see and act in a queue, by its queue grants. */
export function canUseQueue(principal: Principal, queue: string): boolean {
  return principal.queues.length === 0 || principal.queues.includes(queue);
}
