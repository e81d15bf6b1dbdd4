import { NodeSchema } from "@sherpa/proto";
import type { Command } from "../command.js";
import { renderNodeTable } from "../output/node-views.js";
import { writeJson } from "../output/write-json.js";
import { listAllNodes } from "./list-all-nodes.js";

/** `sherpa nodes list`: lists nodes with their state, labels and free GPUs. */
export const nodesListCommand: Command = {
  group: "nodes",
  name: "list",
  operands: "",
  summary: "List nodes: state, labels, free/total GPUs, simulated or not, last heartbeat.",
  options: {},
  async run({ client, io, json, signal, now }, args) {
    args.none();
    const nodes = await listAllNodes(client, signal);
    if (json) {
      for (const node of nodes) writeJson(io.stdout, NodeSchema, node);
    } else {
      io.stdout.write(renderNodeTable(nodes, now()));
    }
    return 0;
  },
};
