import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import type { TestContext } from "node:test";

const found = new Map<string, Promise<string | undefined>>();

/**
 * Finds an external tool the test needs: at `path` when given, else on PATH or
 * in `$(go env GOPATH)/bin`, where `go install` puts grpcurl. Resolves with its
 * path. When it is missing, the test is skipped with a message naming the
 * install script and this resolves with undefined, so the test must return;
 * under CI=true a missing tool fails the test instead.
 *
 * @example
 * const grpcurl = await requireTool(t, "grpcurl");
 * if (grpcurl === undefined) return;
 */
export async function requireTool(
  t: TestContext,
  name: string,
  path?: string,
): Promise<string | undefined> {
  const key = path ?? name;
  let lookup = found.get(key);
  if (lookup === undefined) {
    lookup = path === undefined ? findOnSearchPath(name) : executableOrUndefined(path);
    found.set(key, lookup);
  }
  const toolPath = await lookup;
  if (toolPath === undefined) {
    const message = `${name} is missing: run scripts/install-test-tools.sh`;
    if (process.env.CI === "true") {
      throw new Error(message);
    }
    t.skip(message);
  }
  return toolPath;
}

async function findOnSearchPath(name: string): Promise<string | undefined> {
  const directories = (process.env.PATH ?? "").split(delimiter).filter((dir) => dir !== "");
  directories.push(join(await goPath(), "bin"));
  for (const directory of directories) {
    const candidate = await executableOrUndefined(join(directory, name));
    if (candidate !== undefined) {
      return candidate;
    }
  }
  return undefined;
}

/** `go env GOPATH`, or Go's default when go itself is missing. */
function goPath(): Promise<string> {
  return new Promise((resolve) => {
    execFile("go", ["env", "GOPATH"], { encoding: "utf8" }, (error, stdout) => {
      const firstEntry = stdout.trim().split(delimiter)[0];
      resolve(error === null && firstEntry ? firstEntry : join(homedir(), "go"));
    });
  });
}

async function executableOrUndefined(path: string): Promise<string | undefined> {
  try {
    await access(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}
