import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pollUntil } from "@sherpa/kit/testing";
import { NodeState, TaskState } from "@sherpa/proto";
import { createSherpaClient, type SherpaClient } from "@sherpa/sdk";
import { cliMain } from "./support/repo-paths.js";
import { startCommand } from "./support/start-command.js";
import { type StartedServer, startServer } from "./support/start-server.js";

describe("the sherpa CLI against a server running tasks", () => {
  let server: StartedServer;
  let client: SherpaClient;

  before(async () => {
    server = await startServer({
      env: {
        SHERPA_EMBEDDED_AGENT: "true",
        SHERPA_AGENT_GPUS: "2xNVIDIA A100-SXM4-80GB",
        SHERPA_NODE_NAME: "cli-node",
      },
    });
    client = createSherpaClient({
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

  /** Starts `sherpa --server URL --token T tasks submit --gpus 1 --follow -- sh -c SCRIPT`. */
  function submitAndFollow(script: string) {
    const globalOptions = ["--server", server.baseUrl, "--token", server.adminToken];
    return startCommand(
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

  test("tasks submit --follow prints the task's output as it runs and exits 0 when it succeeds", async (t) => {
    // The task blocks after its first lines until the gate file exists, which the
    // test makes only once the CLI has printed them: so they came while it ran.
    const gateDir = await mkdtemp(join(tmpdir(), "sherpa-cli-gate-"));
    t.after(() => rm(gateDir, { recursive: true, force: true }));
    const gate = join(gateDir, "gate");
    const cli = submitAndFollow(
      `echo hello; echo oops >&2; while [ ! -e '${gate}' ]; do sleep 0.05; done; echo world`,
    );
    try {
      await cli.waitForStdout(/^hello\n/);
      const { tasks } = await client.tasks.listTasks({ states: [TaskState.RUNNING] });
      assert.ok(
        tasks.some((task) => task.argv.some((arg) => arg.includes(gate))),
        "the task is still running when the CLI has printed its first line",
      );
    } catch (error) {
      cli.kill();
      throw error;
    } finally {
      // Lets the task end, whatever happened, so that the server can stop.
      await writeFile(gate, "");
    }

    const result = await cli.exited;
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(result.stdout, "hello\nworld\n");
    assert.match(result.stderr, /^oops$/m, "the task's stderr goes to stderr");
  });

  test("tasks submit --follow exits with the exit code of a task that fails", async () => {
    const result = await submitAndFollow("echo about to fail; exit 3").exited;

    assert.equal(result.exitCode, 3, result.stderr);
    assert.equal(result.stdout, "about to fail\n");
  });
});
