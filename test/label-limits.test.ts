import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, createSherpaClient, type SherpaClient } from "@sherpa/sdk";
import { createJoinToken } from "./support/create-join-token.js";
import { rpcErrorOf } from "./support/rpc-error-of.js";
import { type StartedServer, startServer } from "./support/start-server.js";

/** `{ k0: "v", k1: "v", ... }`: a label map of `count` labels. */
function labels(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, "v"]));
}

/** Past SQLite's 32 766 variables for a label table of three columns: was HTTP 500. */
const tooMany = labels(11_000);
const limitMessage = /at most 64 labels are allowed; got 11000/;

describe("label maps over the limit of 64", () => {
  let server: StartedServer;
  let admin: SherpaClient;

  before(async () => {
    server = await startServer();
    admin = createSherpaClient({ baseUrl: server.baseUrl, token: server.adminToken });
  });
  after(async () => {
    await server.stop();
  });

  const calls: { name: string; field: string; call: () => Promise<unknown> }[] = [
    {
      name: "SubmitTask",
      field: "labels",
      call: () => admin.tasks.submitTask({ argv: ["true"], labels: tooMany }),
    },
    { name: "ListTasks", field: "labels", call: () => admin.tasks.listTasks({ labels: tooMany }) },
    { name: "ListNodes", field: "labels", call: () => admin.nodes.listNodes({ labels: tooMany }) },
    {
      name: "CreateResourceGroup",
      field: "resource_group.node_selector",
      call: () =>
        admin.resourceGroups.createResourceGroup({
          resourceGroup: { name: "too-many", nodeSelector: tooMany },
        }),
    },
    {
      name: "UpdateResourceGroup",
      field: "resource_group.node_selector",
      call: () =>
        admin.resourceGroups.updateResourceGroup({
          resourceGroup: { name: "all-nodes", nodeSelector: tooMany },
          updateMask: { paths: ["node_selector"] },
        }),
    },
    {
      name: "CreateJoinToken",
      field: "labels",
      call: () => admin.access.createJoinToken({ labels: tooMany }),
    },
  ];
  for (const { name, field, call } of calls) {
    test(`${name} with 11 000 labels is InvalidArgument naming the limit`, async () => {
      const error = await rpcErrorOf(call());
      assert.equal(error.code, Code.InvalidArgument, `${Code[error.code]}: ${error.rawMessage}`);
      assert.match(error.rawMessage, limitMessage);
      assert.ok(error.rawMessage.startsWith(`${field}: `), error.rawMessage);
    });
  }

  test("a node registering with 11 000 labels is refused with InvalidArgument", async () => {
    const enrolling = createSherpaClient({
      baseUrl: server.baseUrl,
      protocol: "grpc",
      token: await createJoinToken(server),
      timeoutMs: 5000,
    });
    const { credential } = await enrolling.agents.enroll({ nodeName: "labelled-node" });
    const node = createSherpaClient({
      baseUrl: server.baseUrl,
      protocol: "grpc",
      token: credential,
      timeoutMs: 5000,
    });
    const session = node.agents.agentSession(
      (async function* () {
        yield {
          message: {
            case: "register" as const,
            value: { nodeName: "labelled-node", labels: tooMany },
          },
        };
        await new Promise((resolve) => setTimeout(resolve, 5000));
      })(),
    );
    const error = await rpcErrorOf(session);
    assert.equal(error.code, Code.InvalidArgument, `${Code[error.code]}: ${error.rawMessage}`);
    assert.match(error.rawMessage, limitMessage);
  });

  test("64 labels are accepted", async () => {
    const { task } = await admin.tasks.submitTask({ argv: ["true"], labels: labels(64) });
    assert.equal(Object.keys(task?.labels ?? {}).length, 64);
    const { tasks } = await admin.tasks.listTasks({ labels: labels(64) });
    assert.deepEqual(
      tasks.map((listed) => listed.id),
      [task?.id],
    );
  });
});
