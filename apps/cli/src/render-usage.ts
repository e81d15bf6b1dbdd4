import type { Command, CommandOption } from "./command.js";
import { commandTitle, isInGroup } from "./command-path.js";
import { globalOptions } from "./global-options.js";

/** The help of one command: usage line, summary, details, its options and the global ones. */
export function renderCommandUsage(command: Command): string {
  const sections = [
    `Usage: sherpa ${commandTitle(command)} [options]${command.operands ? ` ${command.operands}` : ""}`,
    command.summary,
    command.details,
    Object.keys(command.options).length > 0
      ? `Options:\n${renderOptions(command.options)}`
      : undefined,
    `Global options:\n${renderOptions(globalOptions)}`,
  ];
  return `${sections.filter((section) => section !== undefined).join("\n\n")}\n`;
}

/**
 * The help of a command group such as `sherpa tasks` (`["tasks"]`) or
 * `sherpa nodes join-token`: the commands whose words start with `group`.
 */
export function renderGroupUsage(group: readonly string[], commands: readonly Command[]): string {
  const members = commands.filter((command) => isInGroup(command, group));
  const title = group.join(" ");
  return [
    `Usage: sherpa ${title} COMMAND [options]`,
    `Commands:\n${renderCommandList(members)}`,
    `Run "sherpa ${title} COMMAND --help" for a command's options.\n`,
  ].join("\n\n");
}

/** The help of `sherpa` itself: every command and the global options. */
export function renderMainUsage(commands: readonly Command[]): string {
  return [
    "Usage: sherpa [global options] GROUP COMMAND [options] [ARGS...]",
    "Runs and inspects GPU tasks on a Sherpa server.",
    `Commands:\n${renderCommandList(commands)}`,
    `Global options:\n${renderOptions(globalOptions)}`,
    [
      'Credentials: every call sends --token, else $SHERPA_TOKEN, else the profile\'s "token",',
      'else the contents of its "tokenFile". The profile is $SHERPA_PROFILE, else',
      "$XDG_CONFIG_HOME/sherpa/profile.json, else ~/.config/sherpa/profile.json; `sherpa login`",
      "writes it.",
    ].join("\n"),
    `Exit status:\n${renderTwoColumns(exitStatuses)}`,
    'Run "sherpa GROUP COMMAND --help" for a command\'s options.\n',
  ].join("\n\n");
}

const exitStatuses: readonly (readonly [string, string])[] = [
  ["0", "success"],
  ["1", "a call failed, or the task followed or waited for did not succeed"],
  ["2", "usage error"],
  ["3", "not authenticated: no token, or the server did not accept it"],
  ["4", "permission denied: the token's role or queues do not allow the call"],
  ["N", "with --follow, --wait or logs -f: the exit code of a task that failed with one"],
  ["130", "interrupted (Ctrl-C)"],
];

function renderCommandList(commands: readonly Command[]): string {
  return renderTwoColumns(commands.map((command) => [commandTitle(command), command.summary]));
}

function renderOptions(options: Readonly<Record<string, CommandOption>>): string {
  const entries = Object.entries(options);
  // Long names line up under each other whether or not an option has a short one.
  const shortWidth = entries.some(([, option]) => option.short !== undefined) ? 4 : 0;
  return renderTwoColumns(
    entries.map(([name, option]) => [optionSynopsis(name, option, shortWidth), option.description]),
  );
}

function optionSynopsis(name: string, option: CommandOption, shortWidth: number): string {
  const short = (option.short === undefined ? "" : `-${option.short}, `).padStart(shortWidth);
  const value = option.type === "string" ? ` ${option.value ?? "VALUE"}` : "";
  const repeat = option.multiple ? "..." : "";
  return `${short}--${name}${value}${repeat}`;
}

function renderTwoColumns(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join("\n");
}
