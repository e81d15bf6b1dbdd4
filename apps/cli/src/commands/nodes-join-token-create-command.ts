import { CreateJoinTokenResponseSchema } from "@sherpa/proto";
import { Code, ConnectError } from "@sherpa/sdk";
import { writeLine } from "../cli-io.js";
import type { Command } from "../command.js";
import { describeToken } from "../output/access-views.js";
import { quoteForShell } from "../output/quote-for-shell.js";
import { writeJson } from "../output/write-json.js";
import { parseDuration } from "../parse/parse-duration.js";
import { parseLabelList } from "../parse/parse-label-list.js";

/** `sherpa nodes join-token create`: creates a single-use token that enrolls one node. */
export const nodesJoinTokenCreateCommand: Command = {
  group: "nodes",
  name: "join-token create",
  operands: "",
  summary: "Create a single-use join token and print the sherpa-agent command that enrolls a node.",
  details: [
    "Prints the join token on stdout and, on stderr, the command to run on the new node.",
    "With --json, prints the CreateJoinTokenResponse, secret included.",
  ].join("\n"),
  options: {
    ttl: {
      type: "string",
      value: "DURATION",
      description: "how long it is valid, 1m to 7d (default: 1h)",
    },
    labels: {
      type: "string",
      multiple: true,
      value: "K=V,K=V",
      description: "labels the node gets, over the agent's own",
    },
  },
  async run({ client, server, io, json, signal, now }, args) {
    args.none();
    const ttl = args.string("ttl");
    const response = await client.access.createJoinToken(
      {
        ttl: ttl === undefined ? undefined : parseDuration(ttl, "--ttl"),
        labels: parseLabelList(args.strings("labels"), "--labels"),
      },
      { signal },
    );
    if (response.secret === "") {
      throw new ConnectError("the server returned no join token", Code.Internal);
    }
    if (json) {
      writeJson(io.stdout, CreateJoinTokenResponseSchema, response);
      return 0;
    }
    writeLine(io.stdout, response.secret);
    if (response.token !== undefined) {
      writeLine(io.stderr, `Created ${describeToken(response.token, now())}.`);
    }
    const agent = ["sherpa-agent", "--server", server, "--join-token", response.secret];
    writeLine(io.stderr, "It enrolls one node, once. On the node, run:");
    writeLine(io.stderr, `  ${agent.map(quoteForShell).join(" ")}`);
    if (isLoopback(server)) {
      writeLine(
        io.stderr,
        `(${server} is a loopback address: on another machine, use one that reaches the server)`,
      );
    }
    return 0;
  },
};

function isLoopback(server: string): boolean {
  const { hostname } = new URL(server);
  return hostname === "localhost" || hostname === "[::1]" || hostname.startsWith("127.");
}
