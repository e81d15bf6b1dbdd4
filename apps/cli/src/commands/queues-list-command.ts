import { QueueSchema } from "@sherpa/proto";
import { collectPages } from "../collect-pages.js";
import type { Command } from "../command.js";
import { renderQueueTable } from "../output/queue-views.js";
import { writeJson } from "../output/write-json.js";

/** `sherpa queues list`: lists every queue with its quota and usage. */
export const queuesListCommand: Command = {
  group: "queues",
  name: "list",
  operands: "",
  summary: "List queues with their GPU quota, usage and task counts.",
  options: {},
  async run({ client, io, json, signal }, args) {
    args.none();
    const { items } = await collectPages(async (pageToken, pageSize) => {
      const page = await client.queues.listQueues({ pageToken, pageSize }, { signal });
      return { items: page.queues, nextPageToken: page.nextPageToken };
    });
    if (json) {
      for (const queue of items) writeJson(io.stdout, QueueSchema, queue);
    } else {
      io.stdout.write(renderQueueTable(items));
    }
    return 0;
  },
};
