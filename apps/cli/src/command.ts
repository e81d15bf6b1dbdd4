import type { SherpaClient } from "@sherpa/sdk";
import type { CliIo } from "./cli-io.js";
import type { CommandArgs } from "./command-args.js";
import type { Credential } from "./credential.js";

/** One option of a command, as `node:util` parseArgs reads it, plus its help. */
export interface CommandOption {
  /** "string" for an option taking a value, "boolean" for a flag. */
  readonly type: "string" | "boolean";
  /** One-letter alias, for example "f" for `-f`. */
  readonly short?: string;
  /** Whether the option may repeat, each value kept. */
  readonly multiple?: boolean;
  /** Placeholder of the value in the usage text, for example "NAME". */
  readonly value?: string;
  /** What the option does, for the usage text. */
  readonly description: string;
}

/** What a command runs with: a client for the chosen server and where to write. */
export interface CommandContext {
  /** The SDK client for `--server` and `--protocol`, sending `credential` with every call. */
  readonly client: SherpaClient;
  /** The server's base URL, as the client calls it. */
  readonly server: string;
  /** The token the client sends and where it came from; undefined when there is none. */
  readonly credential: Credential | undefined;
  /** Where the profile is (`sherpa login` writes it); undefined when no path can be told. */
  readonly profilePath: string | undefined;
  /** A client for the same server and protocol that sends `token` instead. */
  clientWithToken(token: string): SherpaClient;
  /** Where output goes. */
  readonly io: CliIo;
  /** Whether `--json` asked for protobuf JSON instead of tables. */
  readonly json: boolean;
  /** Aborted on Ctrl-C; passed to every call. */
  readonly signal: AbortSignal;
  /** The current time in milliseconds since the epoch. */
  readonly now: () => number;
}

/** A `sherpa GROUP NAME` command, such as `sherpa tasks submit` or `sherpa whoami`. */
export interface Command {
  /** The first word: "tasks", "queues", "nodes", "gpus", "tokens", "whoami"... */
  readonly group: string;
  /**
   * The words after the group: "submit", "join-token create" (two words), or ""
   * for a command that is a single word, such as `sherpa whoami`.
   */
  readonly name: string;
  /** What follows the options in the usage line, for example "-- COMMAND [ARGS...]". */
  readonly operands: string;
  /** One sentence saying what the command does. */
  readonly summary: string;
  /** More help printed under the summary by `--help`. */
  readonly details?: string;
  /** The command's own options; the global ones are added to them. */
  readonly options: Readonly<Record<string, CommandOption>>;
  /**
   * True for `sherpa login`, which brings its own token: only `--token` is
   * used, neither SHERPA_TOKEN nor the profile's token, and a profile that
   * cannot be read is no error, since login replaces it.
   */
  readonly ignoresSavedCredentials?: boolean;
  /**
   * Runs the command and resolves to the process exit status. Throws a
   * UsageError for a bad command line and a ConnectError for a failed call.
   */
  run(context: CommandContext, args: CommandArgs): Promise<number>;
}
