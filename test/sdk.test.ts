import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TaskState } from "@sherpa/proto";
import { Code, ConnectError, createSherpaClient, type SherpaClient } from "@sherpa/sdk";
import { type StartedServer, startServer } from "./support/start-server.js";

/** Every protocol the SDK speaks; gRPC goes over h2c, the others over HTTP/1.1. */
const protocols = ["connect", "grpc", "grpc-web"] as const;

describe("the SDK against one server port", () => {
  let server: StartedServer;
  const clients = new Map<(typeof protocols)[number], SherpaClient>();

  before(async () => {
    server = await startServer();
    for (const protocol of protocols) {
      clients.set(
        protocol,
        createSherpaClient({
          baseUrl: server.baseUrl,
          protocol,
          token: server.adminToken,
          timeoutMs: 5000,
        }),
      );
    }
  });
  after(() => server.stop());

  function clientFor(protocol: (typeof protocols)[number]): SherpaClient {
    const client = clients.get(protocol);
    assert.ok(client, `no client for ${protocol}`);
    return client;
  }

  for (const protocol of protocols) {
    describe(protocol, () => {
      test("submits a task and gets it back", async () => {
        const client = clientFor(protocol);
        const { task: submitted } = await client.tasks.submitTask({
          argv: ["nvidia-smi", "-L"],
          gpuCount: 1,
          labels: { protocol },
        });
        assert.ok(submitted);
        assert.equal(submitted.state, TaskState.PENDING);
        assert.equal(submitted.queue, "default");

        const { task } = await client.tasks.getTask({ id: submitted.id });
        assert.equal(task?.id, submitted.id);
        assert.deepEqual(task?.argv, ["nvidia-smi", "-L"]);
        assert.equal(task?.gpuCount, 1);
      });

      test("lists the tasks it submitted", async () => {
        const client = clientFor(protocol);
        const label = { listed: `by-${protocol}` };
        const first = await client.tasks.submitTask({ argv: ["first"], labels: label });
        const second = await client.tasks.submitTask({ argv: ["second"], labels: label });

        const { tasks } = await client.tasks.listTasks({ labels: label });
        assert.deepEqual(
          tasks.map((task) => task.id),
          [second.task?.id, first.task?.id],
          "newest first",
        );
      });

      test("an unknown task id is a ConnectError with Code.NotFound", async () => {
        await assert.rejects(clientFor(protocol).tasks.getTask({ id: "no-such-task" }), (error) => {
          assert.ok(error instanceof ConnectError, String(error));
          assert.equal(error.code, Code.NotFound);
          assert.match(error.rawMessage, /no-such-task/);
          return true;
        });
      });
    });
  }

  test("every protocol sees the tasks and queues of every other", async () => {
    const submittedIds: string[] = [];
    for (const protocol of protocols) {
      const { task } = await clientFor(protocol).tasks.submitTask({
        argv: ["echo", protocol],
        labels: { shared: "yes" },
      });
      submittedIds.push(task?.id ?? "");
    }

    const views = await Promise.all(
      protocols.map(async (protocol) => {
        const client = clientFor(protocol);
        const { tasks } = await client.tasks.listTasks({ labels: { shared: "yes" } });
        const { queues } = await client.queues.listQueues({});
        return { tasks, queueNames: queues.map((queue) => queue.name) };
      }),
    );
    const [connectView, ...otherViews] = views;
    assert.deepEqual(connectView?.tasks.map((task) => task.id).sort(), [...submittedIds].sort());
    assert.ok(connectView?.queueNames.includes("default"));
    for (const view of otherViews) {
      assert.deepEqual(view, connectView);
    }
  });
});
