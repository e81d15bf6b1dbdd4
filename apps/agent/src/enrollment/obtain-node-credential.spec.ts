import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import type { EnrollResponse } from "@sherpa/proto";
import type { SherpaServiceClients } from "@sherpa/sdk";
import { AgentConfigError } from "../agent-config.js";
import { createRecordingLogger } from "../testing/create-recording-logger.js";
import { AgentRefusedError } from "./agent-refused-error.js";
import {
  type ObtainNodeCredentialOptions,
  obtainNodeCredential,
} from "./obtain-node-credential.js";

type EnrollAnswer = Partial<EnrollResponse> | ConnectError;

/** Clients whose Enroll gives `answers` in turn, recording the join tokens it was called with. */
function enrollClients(answers: EnrollAnswer[]) {
  const joinTokens: string[] = [];
  const make = (joinToken: string) => {
    joinTokens.push(joinToken);
    const enroll = async ({ nodeName }: { nodeName: string }) => {
      const answer = answers.shift() ?? new ConnectError("no more answers", Code.Internal);
      if (answer instanceof ConnectError) {
        throw answer;
      }
      return { credential: "shn_issued", nodeName, labels: {}, ...answer };
    };
    return { agents: { enroll } } as unknown as Pick<SherpaServiceClients, "agents">;
  };
  return { make, joinTokens };
}

describe("obtainNodeCredential", () => {
  let root: string;
  let caseNumber = 0;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "sherpa-credential-"));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  function options(answers: EnrollAnswer[], joinToken = "shj_join") {
    caseNumber++;
    const clients = enrollClients(answers);
    const logger = createRecordingLogger();
    const stateDir = join(root, `case-${caseNumber}`);
    const obtainOptions: ObtainNodeCredentialOptions = {
      config: { server: "http://sherpa:8080", nodeName: "gpu-1", stateDir, joinToken },
      enrollClients: clients.make,
      logger,
      reconnect: { initialDelayMs: 1, maxDelayMs: 1 },
    };
    return { obtainOptions, clients, logger, stateDir };
  }

  it("retries an unreachable server, then saves and returns the credential", async () => {
    const { obtainOptions, clients, logger, stateDir } = options([
      new ConnectError("connect ECONNREFUSED", Code.Unavailable),
      { labels: { zone: "eu-1" } },
    ]);
    const credential = await obtainNodeCredential(obtainOptions);
    assert.deepEqual(credential, {
      server: "http://sherpa:8080",
      nodeName: "gpu-1",
      credential: "shn_issued",
    });
    assert.deepEqual(
      JSON.parse(await readFile(join(stateDir, "credential.json"), "utf8")),
      credential,
    );
    assert.deepEqual(clients.joinTokens, ["shj_join"]);
    assert.deepEqual(
      logger.lines.map((line) => line.message),
      ["cannot enroll with the server; retrying", "node enrolled"],
    );
  });

  it("uses a saved credential without enrolling, even with a join token", async () => {
    const first = options([{}]);
    await obtainNodeCredential(first.obtainOptions);
    const again = await obtainNodeCredential({
      ...first.obtainOptions,
      enrollClients: () => assert.fail("enrolled again"),
    });
    assert.equal(again.credential, "shn_issued");
  });

  const refusals: { code: Code; message: RegExp }[] = [
    {
      code: Code.Unauthenticated,
      message: /refused the join token .*sherpa nodes join-token create/,
    },
    { code: Code.PermissionDenied, message: /refused the join token/ },
    { code: Code.AlreadyExists, message: /node "gpu-1" is already enrolled/ },
    { code: Code.InvalidArgument, message: /refused to enroll node "gpu-1".*--node-name/ },
    { code: Code.Unimplemented, message: /cannot enroll nodes/ },
  ];
  for (const { code, message } of refusals) {
    it(`gives up on ${Code[code]}, saving nothing`, async () => {
      const { obtainOptions, stateDir } = options([new ConnectError("no", code)]);
      await assert.rejects(obtainNodeCredential(obtainOptions), (error) => {
        assert.ok(error instanceof AgentRefusedError);
        assert.match(error.message, message);
        return true;
      });
      await assert.rejects(readFile(join(stateDir, "credential.json")), { code: "ENOENT" });
    });
  }

  it("asks for a join token when the node is not enrolled", async () => {
    const { obtainOptions } = options([], "");
    await assert.rejects(obtainNodeCredential(obtainOptions), (error) => {
      assert.ok(error instanceof AgentConfigError);
      assert.match(error.message, /--join-token/);
      return true;
    });
  });

  const unusable: { name: string; content: object | string; message: RegExp }[] = [
    { name: "not JSON", content: "{", message: /it is not JSON; delete it/ },
    {
      name: "without a credential",
      content: { server: "http://sherpa:8080", nodeName: "gpu-1" },
      message: /needs the strings "server", "nodeName" and "credential"/,
    },
    {
      name: "of another server",
      content: { server: "http://elsewhere:8080", nodeName: "gpu-1", credential: "shn_x" },
      message: /issued by http:\/\/elsewhere:8080, but --server is http:\/\/sherpa:8080/,
    },
  ];
  for (const { name, content, message } of unusable) {
    it(`refuses a saved credential ${name}, sending it nowhere`, async () => {
      const { obtainOptions, stateDir } = options([]);
      await mkdir(stateDir, { recursive: true });
      await writeFile(
        join(stateDir, "credential.json"),
        typeof content === "string" ? content : JSON.stringify(content),
      );
      await assert.rejects(
        obtainNodeCredential({ ...obtainOptions, enrollClients: () => assert.fail("enrolled") }),
        (error) => {
          assert.ok(error instanceof AgentConfigError);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }
});
