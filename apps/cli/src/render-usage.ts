import type { Command, CommandOption } from "./command.js";
import { globalOptions } from "./global-options.js";

/** The help of one command: usage line, summary, details, its options and the global ones. */
export function renderCommandUsage(command: Command): string {
  const sections = [
    `Usage: sherpa ${command.group} ${command.name} [options]${command.operands ? ` ${command.operands}` : ""}`,
    command.summary,
    command.details,
    Object.keys(command.options).length > 0
      ? `Options:\n${renderOptions(command.options)}`
      : undefined,
    `Global options:\n${renderOptions(globalOptions)}`,
  ];
  return `${sections.filter((section) => section !== undefined).join("\n\n")}\n`;
}

/** The help of a command group such as `sherpa tasks`: its commands. */
export function renderGroupUsage(group: string, commands: readonly Command[]): string {
  const members = commands.filter((command) => command.group === group);
  return [
    `Usage: sherpa ${group} COMMAND [options]`,
    `Commands:\n${renderCommandList(members)}`,
    `Run "sherpa ${group} COMMAND --help" for a command's options.\n`,
  ].join("\n\n");
}

/** The help of `sherpa` itself: every command and the global options. */
export function renderMainUsage(commands: readonly Command[]): string {
  return [
    "Usage: sherpa [global options] GROUP COMMAND [options] [ARGS...]",
    "Runs and inspects GPU tasks on a Sherpa server.",
    `Commands:\n${renderCommandList(commands)}`,
    `Global options:\n${renderOptions(globalOptions)}`,
    'Run "sherpa GROUP COMMAND --help" for a command\'s options.\n',
  ].join("\n\n");
}

function renderCommandList(commands: readonly Command[]): string {
  return renderTwoColumns(
    commands.map((command) => [`${command.group} ${command.name}`, command.summary]),
  );
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
