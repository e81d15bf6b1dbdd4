import { createSherpaClient, type SherpaClient } from "@sherpa/sdk";
import { type CliIo, writeLine } from "./cli-io.js";
import type { Command } from "./command.js";
import { type CommandArgs, parseCommandArgs } from "./command-args.js";
import { commandPath, matchCommand, matchGroup } from "./command-path.js";
import { allCommands } from "./commands/all-commands.js";
import { type GlobalSettings, globalOptions, resolveGlobalSettings } from "./global-options.js";
import { renderCommandUsage, renderGroupUsage, renderMainUsage } from "./render-usage.js";
import { reportError } from "./report-error.js";
import { UsageError } from "./usage-error.js";

/**
 * Runs the `sherpa` command line `argv` (without the node and script paths),
 * writing to `io`, and resolves to the exit status: 0 on success, 1 when a call
 * failed, 2 for a usage error, 3 when the server did not accept the token, 4
 * when the token does not allow the call, a task's own status for `--follow`,
 * `--wait` and `logs --follow`, 130 when interrupted. Never throws.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const commands = allCommands;
  let usage = renderMainUsage(commands);
  let settings: GlobalSettings | undefined;
  try {
    const leadingCount = countLeadingOptions(argv);
    const leading = parseCommandArgs(argv.slice(0, leadingCount), globalOptions);
    const words = argv.slice(leadingCount);
    const [first] = words;
    if (first === undefined || first === "help") {
      return showHelp(io, usage, leading.flag("help") || first === "help");
    }
    if (!commands.some((command) => command.group === first)) {
      throw new UsageError(`unknown command "${first}"`);
    }
    const command = matchCommand(commands, words);
    if (command === undefined) {
      const group = matchGroup(commands, words);
      usage = renderGroupUsage(group, commands);
      const next = words[group.length];
      const wantsHelp = leading.flag("help") || next === "--help" || next === "-h";
      if (next === undefined || wantsHelp) {
        return showHelp(io, usage, wantsHelp);
      }
      throw new UsageError(`unknown command "${[...group, next].join(" ")}"`);
    }
    usage = renderCommandUsage(command);
    const args = parseCommandArgs(words.slice(commandPath(command).length), {
      ...globalOptions,
      ...command.options,
    });
    if (args.flag("help") || leading.flag("help")) {
      return showHelp(io, usage, true);
    }
    settings = await resolveGlobalSettings(leading, args, io.env ?? {}, {
      savedCredentials: command.ignoresSavedCredentials !== true,
    });
    return await runCommand(command, settings, io, args);
  } catch (error) {
    return reportError(error, io, { usage, settings });
  }
}

function runCommand(
  command: Command,
  settings: GlobalSettings,
  io: CliIo,
  args: CommandArgs,
): Promise<number> {
  // Given no token, the SDK falls back to process.env.SHERPA_TOKEN. main.ts passes that
  // environment as io.env, so `credential` is undefined only when it is unset or empty
  // (or for login, whose calls all go through clientWithToken).
  const clientWithToken = (token: string | undefined): SherpaClient =>
    createSherpaClient({ baseUrl: settings.server, protocol: settings.protocol, token });
  return command.run(
    {
      client: clientWithToken(settings.credential?.token),
      server: settings.server,
      credential: settings.credential,
      profilePath: settings.profilePath,
      clientWithToken,
      io,
      json: settings.json,
      signal: io.signal ?? new AbortController().signal,
      now: io.now ?? Date.now,
    },
    args,
  );
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
