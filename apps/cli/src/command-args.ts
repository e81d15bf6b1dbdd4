import { parseArgs } from "node:util";
import type { CommandOption } from "./command.js";
import { UsageError } from "./usage-error.js";

type OptionValue = string | boolean | (string | boolean)[] | undefined;

/** A parsed command line: option values and operands. */
export class CommandArgs {
  constructor(
    private readonly values: Readonly<Record<string, OptionValue>>,
    /** The arguments that are not options, including everything after `--`. */
    readonly operands: readonly string[],
  ) {}

  /** The value of a string option, the last one if it was given more than once. */
  string(name: string): string | undefined {
    const value = this.values[name];
    const last = Array.isArray(value) ? value.at(-1) : value;
    return typeof last === "string" ? last : undefined;
  }

  /** Every value of a repeatable string option, in order. */
  strings(name: string): string[] {
    const value = this.values[name];
    const all = Array.isArray(value) ? value : [value];
    return all.filter((item): item is string => typeof item === "string");
  }

  /** Whether a boolean flag was given. */
  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /** The one operand the command takes, or a UsageError naming it. */
  single(label: string): string {
    const [first, ...rest] = this.operands;
    if (first === undefined) {
      throw new UsageError(`missing ${label}`);
    }
    if (rest.length > 0) {
      throw new UsageError(`expected one ${label}, got ${this.operands.length}`);
    }
    return first;
  }

  /** Throws a UsageError when there are operands the command does not take. */
  none(): void {
    if (this.operands.length > 0) {
      throw new UsageError(`unexpected argument "${this.operands[0]}"`);
    }
  }
}

/**
 * Parses `argv` against `options` with `node:util` parseArgs, strictly: an
 * unknown option or a missing value is a UsageError.
 */
export function parseCommandArgs(
  argv: readonly string[],
  options: Readonly<Record<string, CommandOption>>,
): CommandArgs {
  const config = Object.fromEntries(
    Object.entries(options).map(([name, { type, short, multiple }]) => [
      name,
      { type, ...(short === undefined ? {} : { short }), multiple: multiple ?? false },
    ]),
  );
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: config,
      allowPositionals: true,
      strict: true,
    });
    return new CommandArgs(values, positionals);
  } catch (error) {
    if (isParseArgsError(error)) {
      throw new UsageError(error.message);
    }
    throw error;
  }
}

function isParseArgsError(error: unknown): error is Error {
  return (
    error instanceof Error &&
    "code" in error &&
    typeof error.code === "string" &&
    error.code.startsWith("ERR_PARSE_ARGS")
  );
}
