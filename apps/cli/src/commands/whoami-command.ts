import { PrincipalSchema } from "@sherpa/proto";
import { fetchPrincipal } from "../access/fetch-principal.js";
import type { Command } from "../command.js";
import { renderPrincipalFields } from "../output/access-views.js";
import { writeJson } from "../output/write-json.js";

/** `sherpa whoami`: shows who the server takes the caller for. */
export const whoamiCommand: Command = {
  group: "whoami",
  name: "",
  operands: "",
  summary: "Show who the server takes you for: subject, kind, role, queues, permissions.",
  options: {},
  async run({ client, io, json, signal, now }, args) {
    args.none();
    const principal = await fetchPrincipal(client, signal);
    if (json) {
      writeJson(io.stdout, PrincipalSchema, principal);
    } else {
      io.stdout.write(renderPrincipalFields(principal, now()));
    }
    return 0;
  },
};
