import { createSherpaClient } from "@sherpa/sdk";
import { type CliIo, writeLine } from "./cli-io.js";
import type { Command } from "./command.js";
import { parseCommandArgs } from "./command-args.js";
import { allCommands } from "./commands/all-commands.js";
import { globalOptions, resolveGlobalSettings } from "./global-options.js";
import { renderCommandUsage, renderGroupUsage, renderMainUsage } from "./render-usage.js";
import { reportError } from "./report-error.js";
import { UsageError } from "./usage-error.js";

/**
 * Runs the `sherpa` command line `argv` (without the node and script paths),
 * writing to `io`, and resolves to the exit status: 0 on success, 1 when a call
 * failed, 2 for a usage error, a task's own status for `--follow`, `--wait` and
 * `logs --follow`, 130 when interrupted. Never throws.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const commands = allCommands;
  let usage = renderMainUsage(commands);
  let server: string | undefined;
  try {
    const leadingCount = countLeadingOptions(argv);
    const leading = parseCommandArgs(argv.slice(0, leadingCount), globalOptions);
    const [group, name, ...rest] = argv.slice(leadingCount);
    if (group === undefined || group === "help") {
      return showHelp(io, usage, leading.flag("help") || group === "help");
    }
    if (!commands.some((command) => command.group === group)) {
      throw new UsageError(`unknown command "${group}"`);
    }
    usage = renderGroupUsage(group, commands);
    const wantsHelp = leading.flag("help") || name === "--help" || name === "-h";
    if (name === undefined || wantsHelp) {
      return showHelp(io, usage, wantsHelp);
    }
    const command = findCommand(commands, group, name);
    usage = renderCommandUsage(command);
    const args = parseCommandArgs(rest, { ...globalOptions, ...command.options });
    if (args.flag("help")) {
      return showHelp(io, usage, true);
    }
    const settings = resolveGlobalSettings(leading, args, io.env ?? {});
    server = settings.server;
    const client = createSherpaClient({ baseUrl: settings.server, protocol: settings.protocol });
    return await command.run(
      {
        client,
        io,
        json: settings.json,
        signal: io.signal ?? new AbortController().signal,
        now: io.now ?? Date.now,
      },
      args,
    );
  } catch (error) {
    return reportError(error, io, { usage, server });
  }
}

function findCommand(commands: readonly Command[], group: string, name: string): Command {
  const command = commands.find((each) => each.group === group && each.name === name);
  if (command === undefined) {
    throw new UsageError(`unknown command "${group} ${name}"`);
  }
  return command;
}

// Help asked for goes to stdout with status 0; help for a missing command is a usage error.
function showHelp(io: CliIo, usage: string, asked: boolean): number {
  if (asked) {
    io.stdout.write(usage);
    return 0;
  }
  writeLine(io.stderr, "sherpa: missing command\n");
  io.stderr.write(usage);
  return 2;
}

// Global options may come before the command words: `sherpa --server URL tasks list`.
function countLeadingOptions(argv: readonly string[]): number {
  let index = 0;
  while (index < argv.length) {
    const arg = argv[index] ?? "";
    if (!arg.startsWith("-") || arg === "-" || arg === "--") break;
    const option = globalOptions[arg.replace(/^--?/, "")];
    index += option?.type === "string" && !arg.includes("=") ? 2 : 1;
  }
  return Math.min(index, argv.length);
}
