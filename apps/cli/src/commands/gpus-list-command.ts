import { toJson } from "@bufbuild/protobuf";
import { GpuSchema } from "@sherpa/proto";
import { writeLine } from "../cli-io.js";
import type { Command } from "../command.js";
import { renderGpuTable } from "../output/node-views.js";
import { listAllNodes } from "./list-all-nodes.js";

/** `sherpa gpus list`: lists the GPUs of every node. */
export const gpusListCommand: Command = {
  group: "gpus",
  name: "list",
  operands: "",
  summary: "List the GPUs of every node: model, memory, state, task and utilisation.",
  details:
    'With --json, prints one {"node": NAME, "gpu": Gpu} object per line, since a Gpu\nmessage does not name its node.',
  options: {},
  async run({ client, io, json, signal }, args) {
    args.none();
    const nodes = await listAllNodes(client, signal);
    if (json) {
      for (const node of nodes) {
        for (const gpu of node.gpus) {
          writeLine(io.stdout, JSON.stringify({ node: node.name, gpu: toJson(GpuSchema, gpu) }));
        }
      }
    } else {
      io.stdout.write(renderGpuTable(nodes));
    }
    return 0;
  },
};
