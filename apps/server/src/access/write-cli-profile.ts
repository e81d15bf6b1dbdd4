import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** What the `sherpa` CLI reads from its profile. */
export interface CliProfile {
  /** The server's base URL. */
  server: string;
  /** File holding the token to send. */
  tokenFile: string;
}

/**
 * Writes the CLI profile, as minikube writes a kubeconfig, so that the CLI on
 * this machine works with no flags: it points at the server and at the admin
 * token file (the token itself is not copied). A profile that exists is left
 * alone, since it may be the user's own. `path` "none" writes nothing.
 */
export function writeCliProfile(
  path: string,
  profile: CliProfile,
  logger: { info(details: object, message: string): void },
): void {
  if (path === "none" || profile.tokenFile === "" || existsSync(path)) {
    return;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  logger.info({ profile: path, server: profile.server }, "CLI profile written");
}
