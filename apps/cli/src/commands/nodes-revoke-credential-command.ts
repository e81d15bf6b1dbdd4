import { TokenSchema } from "@sherpa/proto";
import { writeLine } from "../cli-io.js";
import type { Command } from "../command.js";
import { writeJson } from "../output/write-json.js";

/** `sherpa nodes revoke-credential NAME`: revokes an enrolled node's credential. */
export const nodesRevokeCredentialCommand: Command = {
  group: "nodes",
  name: "revoke-credential",
  operands: "NAME",
  summary: "Revoke a node's credential and close its agent's session.",
  details: "The node can join again only with a new join token (sherpa nodes join-token create).",
  options: {},
  async run({ client, io, json, signal }, args) {
    const nodeName = args.single("node name");
    const { credential } = await client.access.revokeNodeCredential({ nodeName }, { signal });
    if (credential !== undefined && json) {
      writeJson(io.stdout, TokenSchema, credential);
    } else {
      const id = credential?.id ? ` (${credential.id})` : "";
      writeLine(io.stdout, `credential of node ${nodeName}${id} revoked`);
    }
    return 0;
  },
};
