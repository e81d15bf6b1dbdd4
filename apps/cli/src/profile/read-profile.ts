import { readFile } from "node:fs/promises";
import { type Profile, parseProfile } from "./profile.js";

/**
 * Reads the profile at `path`; undefined when there is no such file. Throws an
 * Error naming the file when it cannot be read or is malformed.
 */
export async function readProfile(path: string): Promise<Profile | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw new Error(`cannot read the profile ${path}: ${errorCode(error) ?? String(error)}`);
  }
  return parseProfile(text, path);
}

/** Reads the token kept in `file`, trimmed; `profilePath` names the profile that points at it. */
export async function readTokenFile(file: string, profilePath: string): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (error) {
    throw new Error(
      `cannot read the token file ${file} named by the profile ${profilePath}: ${errorCode(error) ?? String(error)}`,
    );
  }
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && "code" in error ? String(error.code) : undefined;
}
