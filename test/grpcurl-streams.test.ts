import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { pollUntil } from "@sherpa/kit/testing";
import { NodeState, TaskState } from "@sherpa/proto";
import { createSherpaClient, type SherpaClient } from "@sherpa/sdk";
import { requireTool } from "./support/require-tool.js";
import { run } from "./support/run.js";
import { type StartedServer, startServer } from "./support/start-server.js";

/** sherpa.v1.LogLine as grpcurl prints it with -emit-defaults (int64 as a string). */
interface LogLineJson {
  offset: string;
  stream: string;
  text: string;
}

/**
 * The messages grpcurl printed: one indented JSON object per message, each
 * opening with a line that is exactly "{" (nested objects are indented).
 */
function parseMessages<Message>(stdout: string): Message[] {
  return stdout
    .split(/^(?=\{$)/m)
    .filter((text) => text.trim() !== "")
    .map((text) => JSON.parse(text) as Message);
}

describe("grpcurl -plaintext follows a server stream, with schemas from reflection", () => {
  let server: StartedServer;
  let client: SherpaClient;

  before(async () => {
    server = await startServer({ env: { SHERPA_EMBEDDED_AGENT: "true" } });
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

  test("StreamTaskLogs with follow prints every line in order and exits 0 once the task has ended", async (t) => {
    const grpcurl = await requireTool(t, "grpcurl");
    if (grpcurl === undefined) {
      return;
    }
    const { task: submitted } = await client.tasks.submitTask({
      argv: ["sh", "-c", "for i in 1 2 3; do echo line $i; sleep 0.1; done"],
    });
    assert.ok(submitted);

    // From a temporary directory, so that no proto file could stand in for reflection.
    const result = await run(
      grpcurl,
      [
        "-plaintext",
        "-H",
        `authorization: Bearer ${server.adminToken}`,
        "-emit-defaults",
        "-d",
        JSON.stringify({ id: submitted.id, follow: true }),
        `127.0.0.1:${server.port}`,
        "sherpa.v1.TaskService/StreamTaskLogs",
      ],
      { cwd: server.dataDir, timeoutMs: 15_000 },
    );

    assert.equal(result.exitCode, 0, result.stderr);
    const lines = parseMessages<{ lines: LogLineJson[] }>(result.stdout).flatMap(
      (message) => message.lines,
    );
    assert.deepEqual(
      lines.map(({ offset, stream, text }) => ({ offset, stream, text })),
      [
        { offset: "0", stream: "LOG_STREAM_STDOUT", text: "line 1" },
        { offset: "1", stream: "LOG_STREAM_STDOUT", text: "line 2" },
        { offset: "2", stream: "LOG_STREAM_STDOUT", text: "line 3" },
      ],
    );
    // The stream ends only once the task has ended, so no waiting is needed here.
    const { task } = await client.tasks.getTask({ id: submitted.id });
    assert.equal(task?.state, TaskState.SUCCEEDED, task?.stateReason);
  });

  test("StreamTaskLogs of an unknown task is NotFound (grpcurl exit 69), like GetTask", async (t) => {
    const grpcurl = await requireTool(t, "grpcurl");
    if (grpcurl === undefined) {
      return;
    }
    const result = await run(grpcurl, [
      "-plaintext",
      "-H",
      `authorization: Bearer ${server.adminToken}`,
      "-d",
      JSON.stringify({ id: "no-such-task", follow: true }),
      `127.0.0.1:${server.port}`,
      "sherpa.v1.TaskService/StreamTaskLogs",
    ]);
    // grpcurl exits with 64 + the status code; NotFound is 5.
    assert.equal(result.exitCode, 69, result.stderr);
    assert.match(result.stderr, /Code: NotFound/);
    assert.match(result.stderr, /no-such-task/);
  });
});
