import { dirname, resolve } from "node:path";
import { isHttpUrl } from "../is-http-url.js";

/**
 * The saved settings of `sherpa`: what `sherpa login` writes, and what the
 * server writes on its first start (pointing at its admin token file).
 */
export interface Profile {
  /** The server's base URL. */
  readonly server?: string;
  /** An API token. */
  readonly token?: string;
  /** A file holding the token, its path absolute (a relative one is read from the profile's folder). */
  readonly tokenFile?: string;
}

const fields = ["server", "token", "tokenFile"] as const;

/**
 * Reads the JSON text of the profile at `path`. Throws an Error naming the file
 * when it is not a JSON object with optional string fields `server` (an http://
 * or https:// URL), `token` and `tokenFile`; other fields are ignored.
 */
export function parseProfile(text: string, path: string): Profile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`the profile ${path} is not valid JSON (${(error as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error(`the profile ${path} must hold a JSON object`);
  }
  const record = json as Record<string, unknown>;
  const profile: { -readonly [Field in keyof Profile]: string } = {};
  for (const field of fields) {
    const value = record[field];
    if (value === undefined) continue;
    if (typeof value !== "string") {
      throw new Error(`"${field}" in the profile ${path} must be a string`);
    }
    profile[field] = value;
  }
  if (profile.server !== undefined && !isHttpUrl(profile.server)) {
    throw new Error(
      `"server" in the profile ${path} must be an http:// or https:// URL, got "${profile.server}"`,
    );
  }
  if (profile.tokenFile !== undefined) {
    profile.tokenFile = resolve(dirname(path), profile.tokenFile);
  }
  return profile;
}
