import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { NodeState } from "@sherpa/proto";
import { createSherpaClient } from "@sherpa/sdk";
import { pollUntil } from "./support/poll-until.js";
import { cliMain } from "./support/repo-paths.js";
import { run } from "./support/run.js";
import { type StartedServer, startServer } from "./support/start-server.js";

describe("the sherpa CLI against a server running tasks", () => {
  let server: StartedServer;

  before(async () => {
    server = await startServer({
      env: {
        SHERPA_EMBEDDED_AGENT: "true",
        SHERPA_AGENT_GPUS: "2xNVIDIA A100-SXM4-80GB",
        SHERPA_NODE_NAME: "cli-node",
      },
    });
    const client = createSherpaClient({
      baseUrl: server.baseUrl,
      token: server.adminToken,
      timeoutMs: 5000,
    });
    await pollUntil(
      () => client.nodes.listNodes({}),
      ({ nodes }) => nodes.some((node) => node.state === NodeState.READY),
      { what: "the embedded agent's node to be READY" },
    );
  });
  after(() => server.stop());

  /** Runs `sherpa --server URL --token T tasks submit --gpus 1 --follow -- sh -c SCRIPT`. */
  function submitAndFollow(script: string) {
    const globalOptions = ["--server", server.baseUrl, "--token", server.adminToken];
    return run(
      process.execPath,
      [cliMain, ...globalOptions, "tasks", "submit", "--gpus", "1", "--follow"].concat([
        "--",
        "sh",
        "-c",
        script,
      ]),
      { timeoutMs: 15_000 },
    );
  }

  test("tasks submit --follow prints the task's output as it runs and exits 0 when it succeeds", async () => {
    const result = await submitAndFollow("echo hello; echo oops >&2; echo world");

    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(result.stdout, "hello\nworld\n");
    assert.match(result.stderr, /^oops$/m, "the task's stderr goes to stderr");
  });

  test("tasks submit --follow exits with the exit code of a task that fails", async () => {
    const result = await submitAndFollow("echo about to fail; exit 3");

    assert.equal(result.exitCode, 3, result.stderr);
    assert.equal(result.stdout, "about to fail\n");
  });
});
