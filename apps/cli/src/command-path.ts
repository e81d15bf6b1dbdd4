import type { Command } from "./command.js";

/** The words that run a command: `["tasks", "submit"]`, `["nodes", "join-token", "create"]`, `["whoami"]`. */
export function commandPath(command: Command): string[] {
  return [command.group, ...command.name.split(" ").filter((word) => word !== "")];
}

/** The command's words as typed: "tasks submit", "whoami". */
export function commandTitle(command: Command): string {
  return commandPath(command).join(" ");
}

/**
 * The command that `words` (the command line after the leading global options)
 * starts with, the one with the most words when several do; undefined when none.
 */
export function matchCommand(
  commands: readonly Command[],
  words: readonly string[],
): Command | undefined {
  let best: Command | undefined;
  let bestLength = 0;
  for (const command of commands) {
    const path = commandPath(command);
    if (path.length > bestLength && startsWith(words, path)) {
      best = command;
      bestLength = path.length;
    }
  }
  return best;
}

/**
 * The longest start of `words` that some command's path starts with: `["nodes"]`
 * for `nodes lst`, `["nodes", "join-token"]` for `nodes join-token`.
 */
export function matchGroup(commands: readonly Command[], words: readonly string[]): string[] {
  let longest: string[] = [];
  for (const command of commands) {
    const path = commandPath(command);
    let length = 0;
    while (length < path.length - 1 && path[length] === words[length]) length++;
    if (length > longest.length) longest = path.slice(0, length);
  }
  return longest;
}

/** Whether the command `command` is among those `group` lists. */
export function isInGroup(command: Command, group: readonly string[]): boolean {
  return startsWith(commandPath(command), group);
}

function startsWith(words: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((word, index) => words[index] === word);
}
