import { parseArgs } from "node:util";
import type { SettingsTable } from "./setting.js";

/** Where settings are read from, and what a program adds to the reading. */
export interface LoadSettingsOptions<Config, Context> {
  /** Command-line arguments: `--flag value` or `--flag=value` per setting, and `-h`/`--help`. */
  argv: readonly string[];
  /** Environment variables; a variable set to "" counts as set. */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * What function defaults get, made from the settings read before them;
   * needed only when the table has function defaults.
   */
  defaultContext?: (readSoFar: Partial<Config>) => Context;
  /**
   * Problems that involve more than one setting, given every value read (a
   * setting whose text was not allowed is missing); none unless set.
   */
  crossChecks?: (values: Partial<Config>) => string[];
  /** Makes the error thrown, for example the program's own ConfigError. */
  createError: (message: string) => Error;
}

/** What the command line asked for: the settings, or the help text. */
export type LoadedSettings<Config> = { kind: "settings"; values: Config } | { kind: "help" };

/**
 * Reads every setting of `table`: a flag wins over its environment variable,
 * which wins over the default. Throws `createError(message)` for an unknown
 * flag, a flag without its value or a positional argument (pointing to
 * `--help`), and for bad values: every one at once, naming its variable, its
 * flag and what it allows. `--help` wins over everything else.
 */
export function loadSettings<Config, Context = undefined>(
  table: SettingsTable<Config, Context>,
  options: LoadSettingsOptions<Config, Context>,
): LoadedSettings<Config> {
  const flags = parseFlags(table, options);
  if (flags.help === true) {
    return { kind: "help" };
  }
  const problems: string[] = [];
  const values: Partial<Config> = {};
  for (const key of Object.keys(table) as (keyof Config & string)[]) {
    const setting = table[key];
    const fallback =
      typeof setting.defaultValue === "function"
        ? setting.defaultValue(contextOf(options, values))
        : setting.defaultValue;
    const flagValue = flags[setting.flag];
    const text = typeof flagValue === "string" ? flagValue : (options.env[setting.env] ?? fallback);
    const value = setting.parse(text);
    if (value === undefined) {
      const shown = setting.secret === true ? "not valid" : `"${text}"`;
      problems.push(`${setting.env} (--${setting.flag}) is ${shown}; allowed: ${setting.allowed}`);
    } else {
      values[key] = value;
    }
  }
  problems.push(...(options.crossChecks?.(values) ?? []));
  if (problems.length > 0) {
    throw options.createError(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  // Every key of the table has a value now: none of them had a problem.
  return { kind: "settings", values: values as Config };
}

function contextOf<Config, Context>(
  options: LoadSettingsOptions<Config, Context>,
  readSoFar: Partial<Config>,
): Context {
  if (options.defaultContext === undefined) {
    throw new TypeError("loadSettings: a function default needs options.defaultContext");
  }
  return options.defaultContext(readSoFar);
}

function parseFlags<Config, Context>(
  table: SettingsTable<Config, Context>,
  options: LoadSettingsOptions<Config, Context>,
): Record<string, string | boolean | undefined> {
  const flagOptions = Object.fromEntries([
    ["help", { type: "boolean" as const, short: "h" }],
    ...Object.values<{ flag: string }>(table).map((setting) => [
      setting.flag,
      { type: "string" as const },
    ]),
  ]);
  try {
    return parseArgs({
      args: [...options.argv],
      options: flagOptions,
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw options.createError(`${(error as Error).message}; see --help`);
  }
}
