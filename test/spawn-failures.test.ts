import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TaskState } from "@sherpa/proto";
import { Code, createSherpaClient, type SherpaClient } from "@sherpa/sdk";
import { readTaskLogs } from "./support/read-task-logs.js";
import { rpcErrorOf } from "./support/rpc-error-of.js";
import { type StartedServer, startServer } from "./support/start-server.js";
import { waitForTaskEnd } from "./support/wait-for-task.js";

describe("a task whose command cannot start", () => {
  let server: StartedServer;
  let client: SherpaClient;

  before(async () => {
    server = await startServer({
      env: { SHERPA_EMBEDDED_AGENT: "true", SHERPA_AGENT_GPUS: "2xNVIDIA A100-SXM4-80GB" },
    });
    client = createSherpaClient({ baseUrl: server.baseUrl, token: server.adminToken });
  });
  after(async () => {
    await server.stop();
  });

  test("a 3 MB argv is refused at submission, naming the limit", async () => {
    const error = await rpcErrorOf(
      client.tasks.submitTask({ argv: ["echo", "x".repeat(3 * 1024 * 1024)] }),
    );
    assert.equal(error.code, Code.InvalidArgument, error.message);
    assert.match(error.rawMessage, /argv: must be at most 131072 bytes in all/);
  });

  const programs = [
    {
      name: "does not exist",
      program: "sherpa-test-no-such-program",
      error: "spawn sherpa-test-no-such-program ENOENT",
    },
    // Node throws this one from spawn() instead of reporting it as the child's error.
    {
      name: "has a name too long for the system",
      program: "p".repeat(300),
      error: "spawn ENAMETOOLONG",
    },
  ];
  for (const { name, program, error } of programs) {
    test(`whose program ${name} ends FAILED naming it, and the task assigned with it runs`, async () => {
      const [broken, sound] = await Promise.all([
        client.tasks.submitTask({ argv: [program, "--flag"], gpuCount: 1 }),
        client.tasks.submitTask({ argv: ["sh", "-c", "echo ran"], gpuCount: 1 }),
      ]);
      const failed = await waitForTaskEnd(client, broken.task?.id ?? "");
      assert.equal(failed.state, TaskState.FAILED, failed.stateReason);
      assert.equal(failed.stateReason, `cannot start ${program}: ${error}`);
      const ran = await waitForTaskEnd(client, sound.task?.id ?? "");
      assert.equal(ran.state, TaskState.SUCCEEDED, ran.stateReason);
      const lines = await readTaskLogs(client, ran.id);
      assert.deepEqual(
        lines.map((line) => line.text),
        ["ran"],
      );
    });
  }
});
