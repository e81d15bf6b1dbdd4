import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, type TestContext, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { pollUntil } from "@sherpa/kit/testing";
import { NodeState, TaskState } from "@sherpa/proto";
import { createSherpaClient, type SherpaClient } from "@sherpa/sdk";
import Database from "better-sqlite3";
import { createJoinToken } from "./support/create-join-token.js";
import { type StartedAgent, startAgent } from "./support/start-agent.js";
import { startServer } from "./support/start-server.js";
import { waitForTask } from "./support/wait-for-task.js";

/** A server without an embedded agent, stopped with every agent the test started. */
async function startEnrollmentServer(t: TestContext) {
  const server = await startServer({
    env: {
      SHERPA_EMBEDDED_AGENT: "false",
      SHERPA_HEARTBEAT_INTERVAL_MS: "300",
      SHERPA_SHUTDOWN_GRACE_MS: "2000",
    },
  });
  const agents: StartedAgent[] = [];
  t.after(async () => {
    await Promise.all(agents.map((agent) => agent.stop()));
    await server.stop();
  });
  const admin = createSherpaClient({
    baseUrl: server.baseUrl,
    token: server.adminToken,
    timeoutMs: 10_000,
  });
  const launch = async (nodeName: string, joinToken?: string) => {
    const agent = await startAgent({
      serverUrl: server.baseUrl,
      nodeName,
      gpus: "1xNVIDIA A100-SXM4-80GB",
      joinToken,
      env: { SHERPA_AGENT_CANCEL_GRACE_MS: "500" },
    });
    agents.push(agent);
    return agent;
  };
  return { server, admin, launch };
}

async function waitUntilReady(admin: SherpaClient, nodeName: string, agent: StartedAgent) {
  await pollUntil(
    () => admin.nodes.listNodes({}),
    ({ nodes }) => nodes.some((node) => node.name === nodeName && node.state === NodeState.READY),
    { what: `node ${nodeName} to be READY` },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${agent.output()}`);
  });
}

async function nodeNames(admin: SherpaClient): Promise<string[]> {
  const { nodes } = await admin.nodes.listNodes({});
  return nodes.map((node) => node.name);
}

async function credentialOf(agent: StartedAgent): Promise<string> {
  const saved = JSON.parse(await readFile(join(agent.stateDir, "credential.json"), "utf8"));
  return saved.credential;
}

async function codeOf(call: Promise<unknown>): Promise<Code | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

describe("agent enrollment", () => {
  test("an agent without a join token cannot register a node", async (t) => {
    const { admin, launch } = await startEnrollmentServer(t);
    const agent = await launch("no-token");
    assert.equal(await agent.exited, 2);
    assert.match(agent.output(), /join-token/);
    assert.deepEqual(await nodeNames(admin), []);
  });

  test("a join token enrolls one node, once; a used, revoked or expired one is refused", async (t) => {
    const { server, admin, launch } = await startEnrollmentServer(t);
    const joinToken = await createJoinToken(server, { labels: { zone: "lab" } });
    const first = await launch("node-a", joinToken);
    await waitUntilReady(admin, "node-a", first);
    const { node } = await admin.nodes.getNode({ name: "node-a" });
    assert.equal(node?.labels.zone, "lab", "the join token's labels are the node's");
    const saved = await readFile(join(first.stateDir, "credential.json"), "utf8");
    assert.ok(
      !first.output().includes(await credentialOf(first)),
      "the credential is never logged",
    );
    assert.ok(!first.output().includes(joinToken), "the join token is never logged");
    assert.match(saved, /"credential": ?"shn_/);

    const reused = await launch("node-b", joinToken);
    assert.equal(await reused.exited, 3, reused.output());
    assert.match(reused.output(), /used or revoked/);

    const revokedToken = await createJoinToken(server);
    await admin.access.revokeToken({ id: revokedToken });
    const withRevoked = await launch("node-c", revokedToken);
    assert.equal(await withRevoked.exited, 3, withRevoked.output());

    const expiredToken = await createJoinToken(server);
    // A join token cannot be made to expire sooner than a minute through the API, so the
    // test moves its expiry into the past in the database, as the passing of time would.
    const db = new Database(join(server.dataDir, "sherpa.db"));
    db.prepare("update credentials set expire_time = 1 where id = ?").run(
      expiredToken.slice(4, 20),
    );
    db.close();
    const withExpired = await launch("node-d", expiredToken);
    assert.equal(await withExpired.exited, 3, withExpired.output());
    assert.match(withExpired.output(), /expired/);

    assert.deepEqual(await nodeNames(admin), ["node-a"]);
  });

  test("a node credential calls only AgentService, only as its own node", async (t) => {
    const { server, admin, launch } = await startEnrollmentServer(t);
    const agentA = await launch("node-a", await createJoinToken(server));
    await waitUntilReady(admin, "node-a", agentA);
    const { task } = await admin.tasks.submitTask({ argv: ["sleep", "30"], gpuCount: 1 });
    await waitForTask(admin, task?.id ?? "", (seen) => seen.state === TaskState.RUNNING);

    const agentB = await launch("node-b", await createJoinToken(server));
    await waitUntilReady(admin, "node-b", agentB);
    const asNodeB = createSherpaClient({
      baseUrl: server.baseUrl,
      protocol: "grpc",
      token: await credentialOf(agentB),
      timeoutMs: 5000,
    });
    assert.equal(await codeOf(asNodeB.tasks.listTasks({})), Code.PermissionDenied);
    assert.equal(
      await codeOf(asNodeB.tasks.cancelTask({ id: task?.id ?? "" })),
      Code.PermissionDenied,
    );
    assert.equal(await codeOf(asNodeB.access.whoAmI({})), Code.PermissionDenied);

    // Node B's credential registering as node A, with more GPUs than node A has.
    const impostor = asNodeB.agents.agentSession(
      (async function* () {
        yield {
          message: {
            case: "register" as const,
            value: {
              nodeName: "node-a",
              gpus: Array.from({ length: 8 }, (_, index) => ({
                uuid: `GPU-evil-${index}`,
                index,
                model: "NVIDIA H100 80GB HBM3",
                memoryBytes: 80n << 30n,
              })),
            },
          },
        };
        await new Promise(() => undefined);
      })(),
    );
    assert.equal(await codeOf(impostor[Symbol.asyncIterator]().next()), Code.PermissionDenied);

    // A second agent under node A's name cannot enroll, so it never gets node A's work.
    const secondA = await launch("node-a", await createJoinToken(server));
    assert.equal(await secondA.exited, 3, secondA.output());
    assert.match(secondA.output(), /already/i);

    const { node } = await admin.nodes.getNode({ name: "node-a" });
    assert.equal(node?.gpus.length, 1, "node A's GPUs are its own");
    assert.equal(node?.state, NodeState.READY);
    const { task: untouched } = await admin.tasks.getTask({ id: task?.id ?? "" });
    assert.equal(untouched?.state, TaskState.RUNNING, "node A's task runs on");
    assert.equal(untouched?.nodeName, "node-a");
  });

  test("revoking a node's credential closes its session at once and stops the agent", async (t) => {
    const { server, admin, launch } = await startEnrollmentServer(t);
    const agent = await launch("node-a", await createJoinToken(server));
    await waitUntilReady(admin, "node-a", agent);
    const credential = await credentialOf(agent);
    await admin.access.revokeNodeCredential({ nodeName: "node-a" });
    assert.equal(await agent.exited, 3, agent.output());
    assert.match(agent.output(), /revoked|refused/);
    const asRevoked = createSherpaClient({ baseUrl: server.baseUrl, token: credential });
    assert.equal(
      await codeOf(asRevoked.agents.uploadTaskLogs((async function* () {})())),
      Code.Unauthenticated,
    );
  });
});
