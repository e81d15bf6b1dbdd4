import type { SherpaProtocol } from "@sherpa/sdk";
import type { CommandOption } from "./command.js";
import type { CommandArgs } from "./command-args.js";
import { UsageError } from "./usage-error.js";

/** The server address used when neither `--server` nor `SHERPA_SERVER` is set. */
export const defaultServer = "http://localhost:8080";

const protocols: readonly SherpaProtocol[] = ["connect", "grpc", "grpc-web"];

/** Options every command takes, before or after its name. */
export const globalOptions: Readonly<Record<string, CommandOption>> = {
  server: {
    type: "string",
    value: "URL",
    description: `server address (default: $SHERPA_SERVER, else ${defaultServer})`,
  },
  protocol: {
    type: "string",
    value: "NAME",
    description: "wire protocol: connect (HTTP/1.1), grpc (HTTP/2) or grpc-web (default: connect)",
  },
  json: { type: "boolean", description: "print protobuf JSON, one object per line" },
  help: { type: "boolean", short: "h", description: "show this help" },
};

/** The global settings of one run, flags and environment combined. */
export interface GlobalSettings {
  /** The server's base URL. */
  readonly server: string;
  /** The wire protocol. */
  readonly protocol: SherpaProtocol;
  /** Whether to print protobuf JSON. */
  readonly json: boolean;
}

/**
 * Combines the global options given before the command (`leading`), after it
 * (`trailing`, which win) and the environment into settings, checking them.
 */
export function resolveGlobalSettings(
  leading: CommandArgs,
  trailing: CommandArgs,
  env: Readonly<Record<string, string | undefined>>,
): GlobalSettings {
  const server =
    trailing.string("server") ?? leading.string("server") ?? (env.SHERPA_SERVER || defaultServer);
  if (!isHttpUrl(server)) {
    throw new UsageError(
      `server address must be an http:// or https:// URL, got "${server}" (from --server or SHERPA_SERVER)`,
    );
  }
  const protocol = trailing.string("protocol") ?? leading.string("protocol") ?? "connect";
  if (!isProtocol(protocol)) {
    throw new UsageError(`--protocol must be one of ${protocols.join(", ")}, got "${protocol}"`);
  }
  return { server, protocol, json: trailing.flag("json") || leading.flag("json") };
}

function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
}

function isProtocol(text: string): text is SherpaProtocol {
  return (protocols as readonly string[]).includes(text);
}
