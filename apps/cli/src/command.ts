import type { SherpaClient } from "@sherpa/sdk";
import type { CliIo } from "./cli-io.js";
import type { CommandArgs } from "./command-args.js";

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
  /** The SDK client for `--server` and `--protocol`. */
  readonly client: SherpaClient;
  /** Where output goes. */
  readonly io: CliIo;
  /** Whether `--json` asked for protobuf JSON instead of tables. */
  readonly json: boolean;
  /** Aborted on Ctrl-C; passed to every call. */
  readonly signal: AbortSignal;
  /** The current time in milliseconds since the epoch. */
  readonly now: () => number;
}

/** A `sherpa GROUP NAME` command, such as `sherpa tasks submit`. */
export interface Command {
  /** The first word: "tasks", "queues", "nodes" or "gpus". */
  readonly group: string;
  /** The second word, for example "submit". */
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
   * Runs the command and resolves to the process exit status. Throws a
   * UsageError for a bad command line and a ConnectError for a failed call.
   */
  run(context: CommandContext, args: CommandArgs): Promise<number>;
}
