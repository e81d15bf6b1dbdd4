import { CreateTokenResponseSchema } from "@sherpa/proto";
import { Code, ConnectError } from "@sherpa/sdk";
import { writeLine } from "../cli-io.js";
import type { Command } from "../command.js";
import { describeToken } from "../output/access-views.js";
import { writeJson } from "../output/write-json.js";
import { parseCommaList } from "../parse/parse-comma-list.js";
import { parseDuration } from "../parse/parse-duration.js";
import { parseRole } from "../parse/parse-role.js";
import { UsageError } from "../usage-error.js";

/** `sherpa tokens create`: creates an API token and prints its secret, the only time it is shown. */
export const tokensCreateCommand: Command = {
  group: "tokens",
  name: "create",
  operands: "",
  summary: "Create an API token for a person or program; its secret is shown only once.",
  details: [
    "Prints the secret on stdout (token=$(sherpa tokens create ...)) and what was",
    "created on stderr. The server keeps only a hash: the secret cannot be shown again.",
    "With --json, prints the CreateTokenResponse, secret included.",
  ].join("\n"),
  options: {
    name: {
      type: "string",
      value: "NAME",
      description: "who the token is for; tasks are owned by it (required)",
    },
    role: {
      type: "string",
      value: "ROLE",
      description: "viewer, submitter, operator or admin (required)",
    },
    queues: {
      type: "string",
      multiple: true,
      value: "A,B",
      description: "queues it may submit to and watch (default: every queue)",
    },
    ttl: {
      type: "string",
      value: "DURATION",
      description: "how long it is valid: 12h, 30d... (default: no expiry)",
    },
  },
  async run({ client, io, json, signal, now }, args) {
    args.none();
    const name = args.string("name");
    const role = args.string("role");
    if (name === undefined) throw new UsageError("missing --name");
    if (role === undefined) throw new UsageError("missing --role");
    const ttl = args.string("ttl");
    const response = await client.access.createToken(
      {
        name,
        role: parseRole(role, "--role"),
        queues: parseCommaList(args.strings("queues")),
        ttl: ttl === undefined ? undefined : parseDuration(ttl, "--ttl"),
      },
      { signal },
    );
    if (response.secret === "") {
      throw new ConnectError("the server returned no secret", Code.Internal);
    }
    if (json) {
      writeJson(io.stdout, CreateTokenResponseSchema, response);
      return 0;
    }
    writeLine(io.stdout, response.secret);
    if (response.token !== undefined) {
      writeLine(io.stderr, `Created ${describeToken(response.token, now())}.`);
    }
    writeLine(
      io.stderr,
      "Store the secret now: it cannot be shown again. Use it with --token, SHERPA_TOKEN or `sherpa login`.",
    );
    return 0;
  },
};
