import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { AgentConfigError } from "../agent-config.js";

/** What an enrolled node keeps in `<state-dir>/credential.json`. */
export interface NodeCredential {
  /** The server that issued the credential; it is sent to no other. */
  server: string;
  /** The node the credential belongs to. */
  nodeName: string;
  /** The node's credential (`shn_...`), sent as `authorization: Bearer`. */
  credential: string;
}

/** The path of the credential file in a state directory. */
export function credentialFilePath(stateDir: string): string {
  return join(stateDir, "credential.json");
}

/**
 * Reads the node's credential; undefined when the file does not exist. A file
 * that cannot be read or is not a credential is an AgentConfigError.
 */
export async function readNodeCredential(stateDir: string): Promise<NodeCredential | undefined> {
  const path = credentialFilePath(stateDir);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return undefined;
    }
    throw unusable(path, (error as Error).message);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw unusable(path, "it is not JSON");
  }
  if (!isNodeCredential(parsed)) {
    throw unusable(path, 'it needs the strings "server", "nodeName" and "credential"');
  }
  return { server: parsed.server, nodeName: parsed.nodeName, credential: parsed.credential };
}

/**
 * Writes the node's credential where only the agent's user can read it
 * (directory 0700, file 0600), through a temporary file renamed into place so
 * that a crash never leaves half a credential: the join token it came from
 * cannot be used again.
 */
export async function writeNodeCredential(
  stateDir: string,
  credential: NodeCredential,
): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = credentialFilePath(stateDir);
  const temporary = `${path}.${process.pid}.tmp`;
  await rm(temporary, { force: true });
  const file = await open(temporary, "wx", 0o600);
  try {
    await file.writeFile(`${JSON.stringify(credential, null, 2)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
}

function isNodeCredential(value: unknown): value is NodeCredential {
  const fields = value as Partial<Record<keyof NodeCredential, unknown>> | null;
  return (
    typeof fields === "object" &&
    fields !== null &&
    typeof fields.server === "string" &&
    typeof fields.nodeName === "string" &&
    typeof fields.credential === "string" &&
    fields.credential !== ""
  );
}

function unusable(path: string, why: string): AgentConfigError {
  return new AgentConfigError(
    `cannot use the node credential in ${path}: ${why}; delete it and enroll the node again with a new join token (--join-token)`,
  );
}
