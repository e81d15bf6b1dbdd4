import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pollUntil } from "@sherpa/kit/testing";
import { NodeState } from "@sherpa/proto";
import { createSherpaClient } from "@sherpa/sdk";
import { curl } from "./support/curl.js";
import { cliMain } from "./support/repo-paths.js";
import { run } from "./support/run.js";
import { type StartedServer, startServer } from "./support/start-server.js";

/**
 * The README's flow on a fresh machine: start the server with its embedded
 * defaults, then use the CLI with no flags (it finds the profile the first
 * start wrote) and curl with the admin token from the data directory.
 */
describe("a first start, as the README tells it", () => {
  let server: StartedServer;
  let home: string;
  // Secrets in the server's environment that no task may see.
  const serverSecrets = {
    SHERPA_TEST_DATABASE_PASSWORD: "hunter2-server-secret",
    DB_PASSWORD: "db-password-of-the-server",
    AWS_SECRET_ACCESS_KEY: "aws-secret-of-the-server",
  };
  const cliEnv = () => ({
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
  });

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "sherpa-home-"));
    server = await startServer({
      env: {
        ...serverSecrets,
        HOME: home,
        XDG_CONFIG_HOME: join(home, ".config"),
        // The default profile path, as `npm start` uses it.
        SHERPA_CLI_PROFILE: "",
        SHERPA_EMBEDDED_AGENT: "true",
        SHERPA_AGENT_GPUS: "2xNVIDIA A100-SXM4-80GB",
        SHERPA_NODE_NAME: "first-start",
      },
    });
    const client = createSherpaClient({ baseUrl: server.baseUrl, token: server.adminToken });
    await pollUntil(
      () => client.nodes.listNodes({}),
      ({ nodes }) => nodes.some((node) => node.state === NodeState.READY),
      { what: "the embedded agent's node to be READY" },
    );
  });
  after(async () => {
    await server.stop();
    await rm(home, { recursive: true, force: true });
  });

  test("writes the admin token with mode 0600 and says where, never what", async () => {
    const file = join(server.dataDir, "admin-token");
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const line = server.logLines().find((entry) => entry.file === file);
    assert.match(String(line?.msg), /admin token written to/);
    const everything = JSON.stringify(server.logLines()) + server.stderr();
    assert.ok(!everything.includes(server.adminToken.slice(21)), "the secret is never logged");
  });

  test("the CLI submits and follows a task with no flags, and the task sees none of the server's environment", async () => {
    const result = await run(
      process.execPath,
      [cliMain, "tasks", "submit", "--gpus", "1", "--follow", "--", "env"],
      { env: cliEnv(), timeoutMs: 30_000 },
    );
    assert.equal(result.exitCode, 0, result.stderr);
    const printed = result.stdout;
    assert.match(printed, /^CUDA_VISIBLE_DEVICES=\d$/m);
    assert.match(printed, /^SHERPA_TASK_ID=\S+$/m);
    assert.match(printed, /^PATH=/m);
    for (const [name, value] of Object.entries(serverSecrets)) {
      assert.ok(!printed.includes(name), `the task saw ${name}`);
      assert.ok(!printed.includes(value), `the task saw the value of ${name}`);
    }
    assert.doesNotMatch(printed, /^SHERPA_(DATA_DIR|PORT|HOST|EMBEDDED_AGENT|CLI_PROFILE)=/m);
  });

  test("curl works with the admin token from the data directory, and not without it", async () => {
    const token = (await readFile(join(server.dataDir, "admin-token"), "utf8")).trim();
    const url = `${server.baseUrl}/sherpa.v1.AccessService/WhoAmI`;
    const body = ["-H", "content-type: application/json", "-d", "{}", url];
    const allowed = await curl(["-H", `authorization: Bearer ${token}`, ...body]);
    assert.equal(allowed.status, 200, allowed.body);
    assert.equal(JSON.parse(allowed.body).principal.subject, "admin");
    const refused = await curl(body);
    assert.equal(refused.status, 401);
    assert.equal(JSON.parse(refused.body).code, "unauthenticated");
  });

  test("`sherpa whoami` with no flags is the admin of the profile", async () => {
    const result = await run(process.execPath, [cliMain, "whoami", "--json"], { env: cliEnv() });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).subject, "admin");
  });
});
