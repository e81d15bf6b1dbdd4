import { TokenSchema } from "@sherpa/proto";
import { writeLine } from "../cli-io.js";
import type { Command } from "../command.js";
import { writeJson } from "../output/write-json.js";

/** `sherpa tokens revoke ID`: revokes a token of any kind at once. */
export const tokensRevokeCommand: Command = {
  group: "tokens",
  name: "revoke",
  operands: "ID",
  summary: "Revoke a token of any kind: calls made with it fail from then on.",
  options: {},
  async run({ client, io, json, signal }, args) {
    const id = args.single("token ID");
    const { token } = await client.access.revokeToken({ id }, { signal });
    if (token !== undefined && json) {
      writeJson(io.stdout, TokenSchema, token);
    } else {
      const name = token?.name ? ` (${token.name})` : "";
      writeLine(io.stdout, `token ${token?.id || id}${name} revoked`);
    }
    return 0;
  },
};
