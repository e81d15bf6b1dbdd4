import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { bufBin, repoRoot } from "./support/repo-paths.js";
import { run } from "./support/run.js";
import { type StartedServer, startServer } from "./support/start-server.js";

describe("buf curl over gRPC with HTTP/2 prior knowledge", () => {
  let server: StartedServer;

  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  test("ListQueues prints the default queue as JSON", async () => {
    // From the repository root, so that buf.yaml's workspace resolves the vendored imports.
    const result = await run(
      bufBin,
      [
        "curl",
        "--schema",
        "proto",
        "--protocol",
        "grpc",
        "--http2-prior-knowledge",
        "-H",
        `authorization: Bearer ${server.adminToken}`,
        `${server.baseUrl}/sherpa.v1.QueueService/ListQueues`,
      ],
      { cwd: repoRoot, timeoutMs: 30_000 },
    );
    assert.equal(result.exitCode, 0, result.stderr);
    const { queues } = JSON.parse(result.stdout);
    const defaultQueue = queues.find((queue: { name: string }) => queue.name === "default");
    assert.ok(defaultQueue, `no default queue in ${result.stdout}`);
    assert.equal(defaultQueue.state, "QUEUE_STATE_OPEN");
    assert.deepEqual(defaultQueue.resourceGroups, ["all-nodes"]);
  });
});
