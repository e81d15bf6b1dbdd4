import type { Command } from "../command.js";
import { parseInteger } from "../parse/parse-integer.js";
import { taskExitCode } from "../task-exit-code.js";
import { followTaskLogs } from "../tasks/follow-task-logs.js";
import { printTaskLogs } from "../tasks/print-task-logs.js";

/** `sherpa tasks logs ID`: prints a task's output, optionally following it to the end. */
export const tasksLogsCommand: Command = {
  group: "tasks",
  name: "logs",
  operands: "ID",
  summary: "Print a task's output: its stdout lines on stdout, its stderr lines on stderr.",
  details: [
    "With --follow, waits for new lines until the task ends, then exits with the task's",
    "status: 0 when it succeeded, its exit code when it failed with one, 1 otherwise.",
    "With --json, prints each line as a JSON LogLine on stdout.",
  ].join("\n"),
  options: {
    follow: {
      type: "boolean",
      short: "f",
      description: "keep printing new lines until the task ends",
    },
    offset: {
      type: "string",
      value: "N",
      description: "start at line N, counting from 0 (default: 0)",
    },
  },
  async run(context, args) {
    const id = args.single("task ID");
    const offsetText = args.string("offset");
    const offset = BigInt(
      offsetText === undefined
        ? 0
        : parseInteger(offsetText, "--offset", { min: 0, max: Number.MAX_SAFE_INTEGER }),
    );
    if (args.flag("follow")) {
      return taskExitCode(await followTaskLogs(context, id, offset));
    }
    await printTaskLogs(context, { id, offset, follow: false });
    return 0;
  },
};
