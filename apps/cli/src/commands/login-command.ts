import { type Principal, PrincipalSchema } from "@sherpa/proto";
import { Code, ConnectError } from "@sherpa/sdk";
import { fetchPrincipal } from "../access/fetch-principal.js";
import { type CliIo, writeLine } from "../cli-io.js";
import type { Command } from "../command.js";
import { createCredential } from "../credential.js";
import { renderPrincipalFields } from "../output/access-views.js";
import { writeJson } from "../output/write-json.js";
import { writeProfile } from "../profile/write-profile.js";
import { readSecretLine } from "../read-secret-line.js";
import { unauthenticatedExitCode } from "../report-error.js";

/** `sherpa login`: checks a token with WhoAmI and saves it, with the server, in the profile. */
export const loginCommand: Command = {
  group: "login",
  name: "",
  operands: "",
  summary: "Check a token and save it with the server address in the profile.",
  details: [
    "Without --token, reads the token from standard input: typed at a prompt that does",
    "not show it, or piped in (sherpa login --server URL < token-file). The profile,",
    "written readable by you only (mode 0600), then gives later commands their server",
    "and token; --server, SHERPA_SERVER, --token and SHERPA_TOKEN still win over it.",
    "SHERPA_TOKEN is not what login saves: pass --token or standard input.",
  ].join("\n"),
  options: {},
  ignoresSavedCredentials: true,
  async run({ server, credential, profilePath, clientWithToken, io, json, signal, now }, args) {
    args.none();
    if (profilePath === undefined) {
      throw new Error("cannot tell where to save the profile: set SHERPA_PROFILE or HOME");
    }
    const token = credential?.token ?? (await readToken(io, signal));
    let principal: Principal;
    try {
      principal = await fetchPrincipal(clientWithToken(token), signal);
    } catch (error) {
      if (!(error instanceof ConnectError && error.code === Code.Unauthenticated)) throw error;
      writeLine(io.stderr, `sherpa: Unauthenticated: ${error.rawMessage}`);
      writeLine(io.stderr, `sherpa: ${server} did not accept this token; nothing was saved`);
      return unauthenticatedExitCode;
    }
    await writeProfile(profilePath, { server, token });
    if (json) {
      writeJson(io.stdout, PrincipalSchema, principal);
    } else {
      io.stdout.write(renderPrincipalFields(principal, now()));
    }
    writeLine(io.stderr, `Logged in to ${server}; saved it and the token in ${profilePath}`);
    return 0;
  },
};

async function readToken(io: CliIo, signal: AbortSignal): Promise<string> {
  const stdin = io.stdin;
  if (stdin === undefined) {
    throw new Error("no token: pass --token TOKEN or give it on standard input");
  }
  if (stdin.isTTY) io.stderr.write("Token: ");
  let line: string | undefined;
  try {
    line = await readSecretLine(stdin, signal);
  } finally {
    // The Enter (or Ctrl-C) that ended the hidden line was not echoed either.
    if (stdin.isTTY) writeLine(io.stderr);
  }
  if (line === undefined) {
    throw new Error("no token on standard input: pass --token TOKEN or pipe the token in");
  }
  return createCredential(line, "standard input").token;
}
