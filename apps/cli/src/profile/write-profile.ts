import { randomUUID } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Profile } from "./profile.js";

/**
 * Saves `profile` at `path`, readable by its owner only (mode 0600), creating
 * its folder (mode 0700) when missing. The file is written beside it and
 * renamed over it, so a reader never sees half a profile and an older file's
 * looser mode does not carry over.
 */
export async function writeProfile(path: string, profile: Profile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const partial = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(partial, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
