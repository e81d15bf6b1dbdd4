import { Role } from "@sherpa/proto";
import { UsageError } from "../usage-error.js";

const rolesByName: ReadonlyMap<string, Role> = new Map([
  ["viewer", Role.VIEWER],
  ["submitter", Role.SUBMITTER],
  ["operator", Role.OPERATOR],
  ["admin", Role.ADMIN],
]);

/**
 * Parses a role name as users type it (`viewer`, `submitter`, `operator` or
 * `admin`, case-insensitive). Throws a UsageError naming `option` and listing
 * the roles otherwise.
 */
export function parseRole(text: string, option: string): Role {
  const role = rolesByName.get(text.trim().toLowerCase());
  if (role === undefined) {
    throw new UsageError(`${option} must be viewer, submitter, operator or admin, got "${text}"`);
  }
  return role;
}
