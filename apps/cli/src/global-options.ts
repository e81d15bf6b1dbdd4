import { isAbsolute, join, resolve } from "node:path";
import type { SherpaProtocol } from "@sherpa/sdk";
import type { CommandOption } from "./command.js";
import type { CommandArgs } from "./command-args.js";
import { type Credential, createCredential } from "./credential.js";
import { isHttpUrl } from "./is-http-url.js";
import type { Profile } from "./profile/profile.js";
import { readProfile, readTokenFile } from "./profile/read-profile.js";
import { UsageError } from "./usage-error.js";

/** The server address used when neither `--server`, `SHERPA_SERVER` nor the profile names one. */
export const defaultServer = "http://localhost:8080";

const protocols: readonly SherpaProtocol[] = ["connect", "grpc", "grpc-web"];

/** Options every command takes, before or after its name. */
export const globalOptions: Readonly<Record<string, CommandOption>> = {
  server: {
    type: "string",
    value: "URL",
    description: `server address (default: $SHERPA_SERVER, else the profile's, else ${defaultServer})`,
  },
  token: {
    type: "string",
    value: "TOKEN",
    description: "API token to call with (default: $SHERPA_TOKEN, else the profile's)",
  },
  protocol: {
    type: "string",
    value: "NAME",
    description: "wire protocol: connect (HTTP/1.1), grpc (HTTP/2) or grpc-web (default: connect)",
  },
  json: { type: "boolean", description: "print protobuf JSON, one object per line" },
  help: { type: "boolean", short: "h", description: "show this help" },
};

/** The global settings of one run: flags, environment and profile combined. */
export interface GlobalSettings {
  /** The server's base URL. */
  readonly server: string;
  /** Where `server` came from, for messages: "--server", "SHERPA_SERVER", "the profile PATH" or "the default". */
  readonly serverSource: string;
  /** The token to send, and where it came from; undefined when none was found. */
  readonly credential: Credential | undefined;
  /** The profile's path; undefined when neither SHERPA_PROFILE, XDG_CONFIG_HOME nor HOME is set. */
  readonly profilePath: string | undefined;
  /** The wire protocol. */
  readonly protocol: SherpaProtocol;
  /** Whether to print protobuf JSON. */
  readonly json: boolean;
}

/** How `resolveGlobalSettings` treats saved credentials. */
export interface ResolveGlobalSettingsOptions {
  /**
   * Whether SHERPA_TOKEN and the profile's token count (true unless set); false
   * for `sherpa login`, which then also passes over a profile it cannot read.
   */
  readonly savedCredentials?: boolean;
}

/**
 * Combines the global options given before the command (`leading`), after it
 * (`trailing`, which win), the environment and the profile into settings,
 * checking them. The token is `--token`, else SHERPA_TOKEN, else the profile's
 * `token`, else the contents of its `tokenFile`; the server is `--server`, else
 * SHERPA_SERVER, else the profile's `server`, else `defaultServer`. The profile
 * is read only when a flag or variable leaves something to find there.
 */
export async function resolveGlobalSettings(
  leading: CommandArgs,
  trailing: CommandArgs,
  env: Readonly<Record<string, string | undefined>>,
  { savedCredentials = true }: ResolveGlobalSettingsOptions = {},
): Promise<GlobalSettings> {
  const protocol = trailing.string("protocol") ?? leading.string("protocol") ?? "connect";
  if (!isProtocol(protocol)) {
    throw new UsageError(`--protocol must be one of ${protocols.join(", ")}, got "${protocol}"`);
  }
  const serverFlag = given("--server", trailing.string("server") ?? leading.string("server"));
  const serverGiven = serverFlag ?? given("SHERPA_SERVER", env.SHERPA_SERVER);
  if (serverGiven !== undefined && !isHttpUrl(serverGiven.value)) {
    throw new UsageError(
      `server address must be an http:// or https:// URL, got "${serverGiven.value}" (from ${serverGiven.source})`,
    );
  }
  const tokenFlag = given("--token", trailing.string("token") ?? leading.string("token"));
  const tokenGiven =
    tokenFlag ?? (savedCredentials ? given("SHERPA_TOKEN", env.SHERPA_TOKEN) : undefined);
  const profilePath = findProfilePath(env);
  const needsProfile = serverGiven === undefined || (tokenGiven === undefined && savedCredentials);
  const profile =
    profilePath !== undefined && needsProfile
      ? await loadProfile(profilePath, savedCredentials)
      : undefined;
  const profileServer = given(`the profile ${profilePath}`, profile?.server);
  const server = serverGiven ?? profileServer ?? { value: defaultServer, source: "the default" };
  const credential =
    tokenGiven !== undefined
      ? createCredential(tokenGiven.value, tokenGiven.source)
      : await profileCredential(savedCredentials ? profile : undefined, profilePath);
  return {
    server: server.value,
    serverSource: server.source,
    credential,
    profilePath,
    protocol,
    json: trailing.flag("json") || leading.flag("json"),
  };
}

interface Given {
  readonly value: string;
  readonly source: string;
}

// An empty flag or variable counts as not given, as `SHERPA_TOKEN= sherpa ...` means.
function given(source: string, value: string | undefined): Given | undefined {
  return value === undefined || value === "" ? undefined : { value, source };
}

// XDG_CONFIG_HOME counts only when absolute, as the XDG Base Directory spec says.
function findProfilePath(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env.SHERPA_PROFILE) return resolve(env.SHERPA_PROFILE);
  if (env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME)) {
    return join(env.XDG_CONFIG_HOME, "sherpa", "profile.json");
  }
  const home = env.HOME || env.USERPROFILE;
  return home ? join(home, ".config", "sherpa", "profile.json") : undefined;
}

async function loadProfile(path: string, strict: boolean): Promise<Profile | undefined> {
  try {
    return await readProfile(path);
  } catch (error) {
    if (strict) throw error;
    return undefined;
  }
}

async function profileCredential(
  profile: Profile | undefined,
  profilePath: string | undefined,
): Promise<Credential | undefined> {
  if (profile?.token) {
    return createCredential(profile.token, `the profile ${profilePath}`);
  }
  if (profile?.tokenFile) {
    return createCredential(
      await readTokenFile(profile.tokenFile, `${profilePath}`),
      `the token file ${profile.tokenFile} (named by the profile ${profilePath})`,
    );
  }
  return undefined;
}

function isProtocol(text: string): text is SherpaProtocol {
  return (protocols as readonly string[]).includes(text);
}
