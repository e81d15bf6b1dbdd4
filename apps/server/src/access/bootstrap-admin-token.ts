import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { CredentialStore } from "../storage/credential-store.js";
import { newToken } from "./secret-token.js";

/** Name of the admin token made at first start. */
export const bootstrapAdminName = "admin";

/** What {@link bootstrapAdminToken} needs. */
export interface BootstrapAdminTokenDeps {
  credentials: CredentialStore;
  /** Where the token is written; "" for nowhere (a throwaway in-memory database). */
  file: string;
  now: () => Date;
  logger: {
    info(details: object, message: string): void;
    warn(details: object, message: string): void;
  };
}

/**
 * Makes sure a fresh installation can be used: when the database has no
 * usable admin token and the token file does not exist, creates an admin API
 * token and writes it to the file (mode 0600), saying where in the log but
 * never the token itself. An existing file is never overwritten, and a token
 * an admin revoked is not silently made again while its file remains.
 * Returns whether a token was made.
 */
export async function bootstrapAdminToken(deps: BootstrapAdminTokenDeps): Promise<boolean> {
  const now = deps.now();
  const usable = await deps.credentials.findUsableApiToken(bootstrapAdminName, now);
  if (deps.file !== "" && existsSync(deps.file)) {
    if (usable === undefined) {
      deps.logger.warn(
        { file: deps.file },
        "the admin token file belongs to no usable token; delete it and restart to make a new admin token",
      );
    }
    return false;
  }
  if (usable !== undefined && deps.file !== "") {
    deps.logger.warn(
      { file: deps.file },
      "an admin token exists but its file is gone; revoke it (sherpa tokens revoke) and restart to make a new one",
    );
    return false;
  }
  const token = newToken("api");
  await deps.credentials.addCredential(
    {
      id: token.id,
      kind: "api",
      name: bootstrapAdminName,
      role: "admin",
      queues: [],
      labels: {},
      secretHash: token.secretHash,
      createdBy: "sherpa-server (first start)",
      expireTime: undefined,
    },
    now,
  );
  if (deps.file === "") {
    deps.logger.warn(
      {},
      "in-memory database: the admin token is written nowhere; set SHERPA_ADMIN_TOKEN_FILE to keep it",
    );
    return true;
  }
  mkdirSync(dirname(deps.file), { recursive: true });
  // "wx": never replace a file that appeared meanwhile.
  writeFileSync(deps.file, `${token.text}\n`, { mode: 0o600, flag: "wx" });
  deps.logger.info(
    { file: deps.file },
    `admin token written to ${deps.file}; send it as "authorization: Bearer $(cat ${deps.file})"`,
  );
  return true;
}
