import { QueueSchema } from "@sherpa/proto";
import { Code, ConnectError } from "@sherpa/sdk";
import type { Command } from "../command.js";
import { renderQueueFields } from "../output/queue-views.js";
import { writeJson } from "../output/write-json.js";

/** `sherpa queues get NAME`: shows one queue in full. */
export const queuesGetCommand: Command = {
  group: "queues",
  name: "get",
  operands: "NAME",
  summary: "Show one queue in full.",
  options: {},
  async run({ client, io, json, signal }, args) {
    const name = args.single("queue name");
    const { queue } = await client.queues.getQueue({ name }, { signal });
    if (queue === undefined) {
      throw new ConnectError(`the server returned no queue for ${name}`, Code.Internal);
    }
    if (json) {
      writeJson(io.stdout, QueueSchema, queue);
    } else {
      io.stdout.write(renderQueueFields(queue));
    }
    return 0;
  },
};
