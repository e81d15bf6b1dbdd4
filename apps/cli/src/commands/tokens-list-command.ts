import { TokenKind, TokenSchema } from "@sherpa/proto";
import { collectPages } from "../collect-pages.js";
import type { Command } from "../command.js";
import { renderTokenTable } from "../output/access-views.js";
import { writeJson } from "../output/write-json.js";
import { parseTokenKind } from "../parse/parse-token-kind.js";

/** `sherpa tokens list`: lists tokens, newest first, never their secrets. */
export const tokensListCommand: Command = {
  group: "tokens",
  name: "list",
  operands: "",
  summary: "List tokens (never their secrets), newest first.",
  options: {
    all: { type: "boolean", description: "include revoked, used and expired tokens" },
    kind: {
      type: "string",
      value: "KIND",
      description: "only tokens of this kind: api, join or node (default: every kind)",
    },
  },
  async run({ client, io, json, signal, now }, args) {
    args.none();
    const kind = args.string("kind");
    const filters = {
      kind: kind === undefined ? TokenKind.UNSPECIFIED : parseTokenKind(kind, "--kind"),
      includeInactive: args.flag("all"),
    };
    const { items } = await collectPages(async (pageToken, pageSize) => {
      const page = await client.access.listTokens({ ...filters, pageToken, pageSize }, { signal });
      return { items: page.tokens, nextPageToken: page.nextPageToken };
    });
    if (json) {
      for (const token of items) writeJson(io.stdout, TokenSchema, token);
    } else {
      io.stdout.write(renderTokenTable(items, now()));
    }
    return 0;
  },
};
