import { QueueSchema } from "@sherpa/proto";
import { writeLine } from "../cli-io.js";
import type { Command } from "../command.js";
import type { CommandArgs } from "../command-args.js";
import { renderQueueFields } from "../output/queue-views.js";
import { writeJson } from "../output/write-json.js";
import { parseCommaList } from "../parse/parse-comma-list.js";
import { parseInteger } from "../parse/parse-integer.js";

/** `sherpa queues create NAME`: creates a queue. */
export const queuesCreateCommand: Command = {
  group: "queues",
  name: "create",
  operands: "NAME",
  summary: "Create a queue.",
  details: 'A negative number needs "=": --priority=-5.',
  options: {
    "resource-groups": {
      type: "string",
      value: "A,B",
      description: "resource groups whose nodes may run its tasks (default: none)",
    },
    "gpu-quota": {
      type: "string",
      value: "N",
      description: "most GPUs in use at once; 0 for no limit (default: 0)",
    },
    priority: { type: "string", value: "N", description: "higher is scheduled first (default: 0)" },
    description: { type: "string", value: "TEXT", description: "free text for people" },
  },
  async run({ client, io, json, signal }, args) {
    const name = args.single("queue name");
    const { queue } = await client.queues.createQueue(
      {
        queue: {
          name,
          description: args.string("description") ?? "",
          resourceGroups: parseCommaList([args.string("resource-groups") ?? ""]),
          gpuQuota: integerValue(args, "gpu-quota", 0),
          priority: integerValue(args, "priority", -(2 ** 31)),
        },
      },
      { signal },
    );
    if (queue === undefined) {
      writeLine(io.stdout, `queue ${name} created`);
    } else if (json) {
      writeJson(io.stdout, QueueSchema, queue);
    } else {
      io.stdout.write(renderQueueFields(queue));
    }
    return 0;
  },
};

function integerValue(args: CommandArgs, option: string, min: number): number {
  const text = args.string(option);
  return text === undefined ? 0 : parseInteger(text, `--${option}`, { min });
}
