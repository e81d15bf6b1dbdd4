import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, type TestContext, test } from "node:test";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { QueueState, TaskState } from "@sherpa/proto";
import { createSherpaClient, type SherpaClient } from "@sherpa/sdk";
import { startServer } from "./support/start-server.js";

/** A data directory of the test's own, removed when the test ends. */
async function makeDataDir(t: TestContext): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), "sherpa-restart-"));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  return dataDir;
}

/**
 * Starts a server on the data directory, runs `use` with a client of it, then
 * stops it and asserts that it exited with status 0.
 */
async function withServer(dataDir: string, use: (client: SherpaClient) => Promise<void>) {
  const server = await startServer({ dataDir });
  let exitCode: number | null;
  try {
    await use(
      createSherpaClient({ baseUrl: server.baseUrl, token: server.adminToken, timeoutMs: 5000 }),
    );
  } finally {
    exitCode = await server.stop();
  }
  assert.equal(exitCode, 0, "the server exits with status 0 on SIGTERM");
}

describe("data survives a restart of the server process", () => {
  test("tasks, queues and changes to the default queue are kept; the default queue is made once", async (t) => {
    const dataDir = await makeDataDir(t);
    let taskId = "";
    let defaultQueueCreateTime: Timestamp | undefined;
    await withServer(dataDir, async (client) => {
      await client.queues.createQueue({
        queue: { name: "restart-check", resourceGroups: ["all-nodes"], gpuQuota: 8, priority: 3 },
      });
      const { task } = await client.tasks.submitTask({
        queue: "restart-check",
        argv: ["torchrun", "train.py"],
      });
      taskId = task?.id ?? "";
      const { queue } = await client.queues.updateQueue({
        queue: { name: "default", description: "changed before the restart" },
        updateMask: { paths: ["description"] },
      });
      defaultQueueCreateTime = queue?.createTime;
    });

    await withServer(dataDir, async (client) => {
      const { task } = await client.tasks.getTask({ id: taskId });
      assert.equal(task?.state, TaskState.PENDING);
      assert.equal(task?.queue, "restart-check");
      assert.deepEqual(task?.argv, ["torchrun", "train.py"]);

      const { queues } = await client.queues.listQueues({});
      assert.deepEqual(
        queues.map((queue) => queue.name),
        ["default", "restart-check"],
      );
      const [defaultQueue, restartCheck] = queues;
      assert.equal(defaultQueue?.description, "changed before the restart");
      assert.deepEqual(defaultQueue?.createTime, defaultQueueCreateTime);
      assert.equal(restartCheck?.gpuQuota, 8);
      assert.equal(restartCheck?.priority, 3);
      assert.equal(restartCheck?.state, QueueState.OPEN);
      assert.equal(restartCheck?.pendingTasks, 1);
    });
  });

  test("a deleted default queue is not created again on the next start", async (t) => {
    const dataDir = await makeDataDir(t);
    await withServer(dataDir, async (client) => {
      await client.queues.deleteQueue({ name: "default" });
    });
    await withServer(dataDir, async (client) => {
      const { queues } = await client.queues.listQueues({});
      assert.deepEqual(queues, []);
    });
  });
});
