import { type Node, NodeSchema, NodeState } from "@sherpa/proto";
import type { SherpaClient } from "@sherpa/sdk";
import { writeLine } from "../cli-io.js";
import type { Command } from "../command.js";
import { enumName } from "../output/enum-name.js";
import { writeJson } from "../output/write-json.js";

type CordonCall = (
  client: SherpaClient,
  name: string,
  signal: AbortSignal,
) => Promise<{ node?: Node | undefined }>;

/** `sherpa nodes cordon NAME`: stops new tasks from being placed on a node. */
export const nodesCordonCommand = createCordonCommand(
  "cordon",
  "Stop placing new tasks on a node; tasks running there go on.",
  (client, name, signal) => client.nodes.cordonNode({ name }, { signal }),
);

/** `sherpa nodes uncordon NAME`: lets the scheduler place tasks on a cordoned node again. */
export const nodesUncordonCommand = createCordonCommand(
  "uncordon",
  "Let the scheduler place tasks on a cordoned node again.",
  (client, name, signal) => client.nodes.uncordonNode({ name }, { signal }),
);

function createCordonCommand(name: string, summary: string, call: CordonCall): Command {
  return {
    group: "nodes",
    name,
    operands: "NAME",
    summary,
    options: {},
    async run({ client, io, json, signal }, args) {
      const nodeName = args.single("node name");
      const { node } = await call(client, nodeName, signal);
      if (node !== undefined && json) {
        writeJson(io.stdout, NodeSchema, node);
      } else {
        const state = node === undefined ? `${name}ed` : enumName(NodeState, node.state);
        writeLine(io.stdout, `node ${nodeName} ${state}`);
      }
      return 0;
    },
  };
}
