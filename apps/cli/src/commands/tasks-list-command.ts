import { TaskSchema } from "@sherpa/proto";
import { writeLine } from "../cli-io.js";
import { collectPages } from "../collect-pages.js";
import type { Command } from "../command.js";
import type { CommandArgs } from "../command-args.js";
import { renderTaskTable } from "../output/task-views.js";
import { writeJson } from "../output/write-json.js";
import { parseInteger } from "../parse/parse-integer.js";
import { parseKeyValues } from "../parse/parse-key-values.js";
import { parseTaskStates } from "../parse/parse-task-states.js";
import { UsageError } from "../usage-error.js";

const defaultLimit = 100;

/** `sherpa tasks list`: lists tasks, newest first, with filters. */
export const tasksListCommand: Command = {
  group: "tasks",
  name: "list",
  operands: "",
  summary: "List tasks, newest first.",
  options: {
    queue: { type: "string", value: "NAME", description: "only tasks of this queue" },
    owner: {
      type: "string",
      value: "NAME",
      description: 'only tasks of this owner; "me" for your own',
    },
    state: {
      type: "string",
      multiple: true,
      value: "STATES",
      description:
        "only tasks in these states: pending,running,succeeded,failed,cancelled,timed_out",
    },
    label: {
      type: "string",
      multiple: true,
      value: "KEY=VALUE",
      description: "only tasks with this label",
    },
    limit: {
      type: "string",
      value: "N",
      description: `most tasks to show (default: ${defaultLimit})`,
    },
    all: { type: "boolean", description: "show every matching task, page after page" },
  },
  async run({ client, io, json, signal, now }, args) {
    args.none();
    const filters = {
      queue: args.string("queue") ?? "",
      owner: args.string("owner") ?? "",
      states: parseTaskStates(args.strings("state")),
      labels: parseKeyValues(args.strings("label"), "--label"),
    };
    const { items, more } = await collectPages(async (pageToken, pageSize) => {
      const page = await client.tasks.listTasks({ ...filters, pageToken, pageSize }, { signal });
      return { items: page.tasks, nextPageToken: page.nextPageToken };
    }, listLimit(args));
    if (json) {
      for (const task of items) writeJson(io.stdout, TaskSchema, task);
      return 0;
    }
    io.stdout.write(renderTaskTable(items, now()));
    if (more) {
      writeLine(io.stderr, `(first ${items.length} tasks shown; use --limit N or --all for more)`);
    }
    return 0;
  },
};

function listLimit(args: CommandArgs): number {
  const limit = args.string("limit");
  if (args.flag("all")) {
    if (limit !== undefined) throw new UsageError("--all and --limit cannot be used together");
    return Number.POSITIVE_INFINITY;
  }
  return limit === undefined ? defaultLimit : parseInteger(limit, "--limit", { min: 1 });
}
