import { type Role, roles } from "../domain/credential.js";
import type { PrincipalKind } from "./principal.js";

export type { Role };

/**
 * Everything a caller can be allowed to do. Each RPC needs exactly one of them
 * (see `rpc-policies.ts`); handlers check ownership and queue grants on top.
 */
export type Permission =
  /** WhoAmI: any authenticated caller. */
  | "self.read"
  /** Read tasks, their logs and events. */
  | "tasks.read"
  /** Submit tasks (to granted queues) and cancel one's own. */
  | "tasks.submit"
  /** Cancel anybody's task. */
  | "tasks.cancel-any"
  /** See env values of anybody's task. */
  | "tasks.read-env"
  /** Read queues, resource groups and nodes. */
  | "fleet.read"
  /** Cordon, uncordon and drain nodes. */
  | "nodes.manage"
  /** Create, change and delete queues and resource groups. */
  | "fleet.manage"
  /** Create, list and revoke tokens and node credentials. */
  | "access.manage"
  /** Scrape /metrics on the main port. */
  | "metrics.read"
  /** Run an agent session and upload logs, as the principal's own node. */
  | "agent.session"
  /** Exchange a join token for a node credential. */
  | "agent.enroll";

const grantsOfRole: Record<Role, readonly Permission[]> = {
  viewer: ["self.read", "tasks.read", "fleet.read", "metrics.read"],
  submitter: ["tasks.submit"],
  operator: ["tasks.cancel-any", "nodes.manage"],
  admin: ["tasks.read-env", "fleet.manage", "access.manage"],
};

/** The permissions of a kind of principal with a role: default deny, grants only add. */
export function permissionsOf(kind: PrincipalKind, role: Role | undefined): Set<Permission> {
  switch (kind) {
    case "node":
    case "embedded-agent":
      return new Set(["agent.session"]);
    case "join":
      return new Set(["agent.enroll"]);
    default: {
      const granted = new Set<Permission>(["self.read"]);
      const rank = role === undefined ? -1 : roles.indexOf(role);
      for (const [index, name] of roles.entries()) {
        if (index <= rank) {
          for (const permission of grantsOfRole[name]) {
            granted.add(permission);
          }
        }
      }
      return granted;
    }
  }
}

/** Reads a role name; undefined when it is not one. */
export function parseRole(text: string): Role | undefined {
  return (roles as readonly string[]).includes(text) ? (text as Role) : undefined;
}
