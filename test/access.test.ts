import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Role, type Task, TaskState } from "@sherpa/proto";
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@sherpa/proto/grpc/health/v1/health_pb.js";
import {
  Code,
  type ConnectError,
  createSherpaClient,
  type SherpaClient,
  type SherpaClientOptions,
  type SherpaProtocol,
} from "@sherpa/sdk";
import Database from "better-sqlite3";
import WebSocket from "ws";
import { accessOf, createTokenClient, type TokenClient } from "./support/access-clients.js";
import { curl } from "./support/curl.js";
import { auditLogPath, readAuditLog, readAuditText } from "./support/read-audit-log.js";
import { requireTool } from "./support/require-tool.js";
import { reasonOf, rpcErrorOf } from "./support/rpc-error-of.js";
import { run } from "./support/run.js";
import { type StartedServer, startServer } from "./support/start-server.js";
import { webSocketHandshake } from "./support/web-socket-handshake.js";

const protocols: readonly SherpaProtocol[] = ["connect", "grpc", "grpc-web"];

/** Drops any authorization header, so that not even SHERPA_TOKEN from the environment is sent. */
const sendNoCredential: Interceptor = (next) => (request) => {
  request.header.delete("authorization");
  return next(request);
};

/** The public ID of a `shp_<id>_<secret>` token. */
function idOf(token: string): string {
  return token.split("_")[1] ?? "";
}

/** The secret part of a `shp_<id>_<secret>` token. */
function secretPartOf(token: string): string {
  return token.split("_")[2] ?? "";
}

/**
 * Makes a stored token expired. A real server process has no fake clock, and
 * the shortest TTL CreateToken accepts is one minute, so waiting for a token
 * to expire would take a minute: instead the token is created through the API
 * (so that the server itself hashed and stored its secret) and then its
 * expire_time, in milliseconds since the epoch, is moved into the past in the
 * server's SQLite database, as if the minute had passed. The server reads the
 * credential row on every call, so nothing else changes.
 */
function expireStoredToken(dataDir: string, id: string) {
  const db = new Database(join(dataDir, "sherpa.db"));
  try {
    const result = db
      .prepare("UPDATE credentials SET expire_time = ? WHERE id = ?")
      .run(Date.now() - 1000, id);
    assert.equal(result.changes, 1, `no credential row of ${id}`);
  } finally {
    db.close();
  }
}

/** Opens a WebSocket and collects its JSON frames until the server closes it. */
function webSocketOutcome(url: string, protocols: string[]) {
  return new Promise<{ frames: unknown[]; close: { code: number; reason: string } }>(
    (resolve, reject) => {
      const socket = new WebSocket(url, protocols, { handshakeTimeout: 5000 });
      const frames: unknown[] = [];
      socket.on("message", (data) => frames.push(JSON.parse(String(data))));
      socket.once("close", (code, reason) =>
        resolve({ frames, close: { code, reason: reason.toString() } }),
      );
      socket.once("error", reject);
    },
  );
}

describe("access control, as an attacker would probe it", () => {
  let server: StartedServer;
  let admin: SherpaClient;
  /** Every secret this file made or used, none of which may ever reach the audit log. */
  const secrets: string[] = [];
  /** Every env value this file submitted, none of which may reach the audit log. */
  const envValues: string[] = [];

  const clientWith = (options: Omit<SherpaClientOptions, "baseUrl">) =>
    createSherpaClient({ baseUrl: server.baseUrl, timeoutMs: 5000, ...options });

  const newEnvValue = () => {
    const value = `env-value-${randomUUID()}`;
    envValues.push(value);
    return value;
  };

  const tokenClient = async (
    name: string,
    role: Role,
    queues: string[] = [],
    protocol: SherpaProtocol = "connect",
  ) => {
    const made = await createTokenClient(admin, server.baseUrl, { name, role, queues, protocol });
    secrets.push(made.secret);
    return made;
  };

  /**
   * Runs a call expected to be refused and checks that it is PermissionDenied
   * with the ErrorInfo reason (PERMISSION_MISSING, the role lacking the
   * permission, unless `reason` says otherwise), and that the audit log gained
   * a "deny" line naming the caller, the RPC and the code.
   */
  const assertDenied = async (
    call: () => Promise<unknown>,
    expected: { subject: string; rpc: string; reason?: string },
  ): Promise<ConnectError> => {
    const linesBefore = (await readAuditLog(server.dataDir)).length;
    const error = await rpcErrorOf(call());
    assert.equal(error.code, Code.PermissionDenied, error.message);
    assert.equal(reasonOf(error), expected.reason ?? "PERMISSION_MISSING", error.message);
    const added = (await readAuditLog(server.dataDir)).slice(linesBefore);
    assert.ok(
      added.some(
        (line) =>
          line.decision === "deny" &&
          line.principal?.subject === expected.subject &&
          line.rpc === expected.rpc &&
          line.code === "permission_denied",
      ),
      `no audit line denying ${expected.rpc} to ${expected.subject}; added: ${JSON.stringify(added)}`,
    );
    return error;
  };

  before(async () => {
    // Many calls here fail authentication on purpose; the per-peer limit of
    // failures is rate-limit.test.ts's subject, so it is out of the way here.
    server = await startServer({ env: { SHERPA_AUTH_FAILURES_PER_MINUTE: "1000000" } });
    secrets.push(server.adminToken);
    admin = clientWith({ token: server.adminToken });
  });
  after(() => server.stop());

  describe("a caller without a valid credential gets Unauthenticated", () => {
    let taskId = "";
    let revokedToken = "";
    let expiredToken = "";

    before(async () => {
      const { task } = await admin.tasks.submitTask({ argv: ["true"] });
      taskId = task?.id ?? "";
      const revoked = await accessOf(admin).createToken({ name: "revoked", role: Role.ADMIN });
      revokedToken = revoked.secret;
      // Revoked the way people do it: by pasting the whole token, which must not reach the audit log.
      await accessOf(admin).revokeToken({ id: revoked.secret });
      const expiring = await accessOf(admin).createToken({
        name: "expiring",
        role: Role.ADMIN,
        ttl: durationFromMs(60_000),
      });
      expiredToken = expiring.secret;
      expireStoredToken(server.dataDir, expiring.token?.id ?? "");
      secrets.push(revokedToken, expiredToken);
    });

    const adminId = () => idOf(server.adminToken);
    /** Each bad credential, and the ErrorInfo reason it is refused with. */
    const credentials: Record<
      string,
      { options: () => Omit<SherpaClientOptions, "baseUrl">; reason: string }
    > = {
      "no credential": {
        options: () => ({ interceptors: [sendNoCredential] }),
        reason: "CREDENTIAL_MISSING",
      },
      "a malformed token": {
        options: () => ({ token: "let-me-in" }),
        reason: "CREDENTIAL_MALFORMED",
      },
      "the admin token cut short by one character": {
        options: () => ({ token: server.adminToken.slice(0, -1) }),
        reason: "CREDENTIAL_MALFORMED",
      },
      "a well-formed but unknown token": {
        options: () => ({ token: `shp_${"a".repeat(16)}_${"b".repeat(52)}` }),
        reason: "TOKEN_INVALID",
      },
      "the admin token's ID with a guessed secret": {
        options: () => ({ token: `shp_${adminId()}_${"c".repeat(52)}` }),
        reason: "TOKEN_INVALID",
      },
      "the admin token with the node-credential prefix shn_": {
        options: () => ({ token: `shn_${adminId()}_${secretPartOf(server.adminToken)}` }),
        reason: "TOKEN_INVALID",
      },
      "a revoked admin token": {
        options: () => ({ token: revokedToken }),
        reason: "TOKEN_REVOKED",
      },
      "an expired admin token": {
        options: () => ({ token: expiredToken }),
        reason: "TOKEN_EXPIRED",
      },
      "a JWT, on a server with no OIDC issuer": {
        options: () => ({ token: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl" }),
        reason: "JWT_NOT_ACCEPTED",
      },
      "the admin token under the Basic scheme": {
        options: () => ({
          headers: {
            authorization: `Basic ${Buffer.from(`admin:${server.adminToken}`).toString("base64")}`,
          },
        }),
        reason: "CREDENTIAL_MALFORMED",
      },
      "the admin token with no scheme": {
        options: () => ({ headers: { authorization: server.adminToken } }),
        reason: "CREDENTIAL_MALFORMED",
      },
    };

    const calls: Record<
      string,
      (client: SherpaClient) => Promise<unknown> | AsyncIterable<unknown>
    > = {
      "GetTask (unary)": (client) => client.tasks.getTask({ id: taskId }),
      "ListTasks (unary)": (client) => client.tasks.listTasks({}),
      "WatchTasks (server stream)": (client) => client.tasks.watchTasks({ includeCurrent: true }),
    };

    for (const protocol of protocols) {
      describe(protocol, () => {
        for (const [callName, call] of Object.entries(calls)) {
          test(`${callName} with the admin token is answered (the control)`, async () => {
            const client = clientWith({ protocol, token: server.adminToken });
            const result = call(client);
            if (Symbol.asyncIterator in result) {
              for await (const event of result) {
                assert.equal((event as { task?: Task }).task?.id, taskId);
                break;
              }
            } else {
              await result;
            }
          });

          for (const [credentialName, credential] of Object.entries(credentials)) {
            test(`${callName} with ${credentialName}: Unauthenticated (${credential.reason}), WWW-Authenticate: Bearer`, async () => {
              const client = clientWith({ protocol, ...credential.options() });
              const error = await rpcErrorOf(call(client));
              assert.equal(error.code, Code.Unauthenticated, error.message);
              assert.equal(reasonOf(error), credential.reason, error.message);
              assert.match(error.metadata.get("www-authenticate") ?? "", /^Bearer\b/);
            });
          }
        }
      });
    }

    test("Connect over curl: HTTP 401 with a JSON error and WWW-Authenticate, the body never read", async () => {
      const response = await curl([
        "--include",
        "-H",
        "content-type: application/json",
        "-d",
        JSON.stringify({ id: taskId }),
        `${server.baseUrl}/sherpa.v1.TaskService/GetTask`,
      ]);
      assert.equal(response.status, 401, response.body);
      const [head = "", body = ""] = response.body.split(/\r\n\r\n/);
      assert.match(head, /^www-authenticate: Bearer/im);
      assert.equal(JSON.parse(body).code, "unauthenticated");
    });

    describe("a 5 MiB request body, over the 4 MiB message limit", () => {
      let bodyDir = "";
      let bodyFile = "";

      before(async () => {
        bodyDir = await mkdtemp(join(tmpdir(), "sherpa-access-body-"));
        bodyFile = join(bodyDir, "submit.json");
        await writeFile(bodyFile, JSON.stringify({ argv: ["echo", "x".repeat(5 * 1024 * 1024)] }));
      });
      after(() => rm(bodyDir, { recursive: true, force: true }));

      const postBody = (headers: string[]) =>
        curl([
          "-H",
          "content-type: application/json",
          ...headers.flatMap((header) => ["-H", header]),
          "--data-binary",
          `@${bodyFile}`,
          `${server.baseUrl}/sherpa.v1.TaskService/SubmitTask`,
        ]);

      test("is refused for its size when an admin sends it (the control)", async () => {
        const response = await postBody([`authorization: Bearer ${server.adminToken}`]);
        assert.equal(JSON.parse(response.body).code, "resource_exhausted", response.body);
      });

      test("from an unauthenticated caller, is never parsed: Unauthenticated, not a size error", async () => {
        const response = await postBody([]);
        assert.equal(response.status, 401, response.body);
        assert.equal(JSON.parse(response.body).code, "unauthenticated");
      });

      test("from a caller with an unknown token over gRPC: Unauthenticated", async () => {
        const client = clientWith({
          protocol: "grpc",
          token: `shp_${"a".repeat(16)}_${"b".repeat(52)}`,
        });
        const error = await rpcErrorOf(
          client.tasks.submitTask({ argv: ["echo", "x".repeat(5 * 1024 * 1024)] }),
        );
        assert.equal(error.code, Code.Unauthenticated, error.message);
      });
    });

    describe("WebSockets", () => {
      const paths = () => [`/v1/events`, `/v1/tasks/${taskId}/logs?follow=false`];
      const wsUrl = (path: string) => `${server.baseUrl.replace(/^http/, "ws")}${path}`;

      test("an upgrade with the admin token in Sec-WebSocket-Protocol is accepted (the control)", async () => {
        for (const path of paths()) {
          const handshake = await webSocketHandshake(wsUrl(path), [
            "sherpa.v1",
            `bearer.${server.adminToken}`,
          ]);
          assert.equal(handshake.status, 101, `${path}: ${handshake.body}`);
          assert.equal(handshake.protocol, "sherpa.v1", "the server never echoes the token");
        }
      });

      const refusals: Record<string, () => { path?: string; protocols: string[] }> = {
        "no credential": () => ({ protocols: [] }),
        "only the sherpa.v1 protocol": () => ({ protocols: ["sherpa.v1"] }),
        "an unknown token": () => ({
          protocols: ["sherpa.v1", `bearer.shp_${"a".repeat(16)}_${"b".repeat(52)}`],
        }),
        "a revoked token": () => ({ protocols: ["sherpa.v1", `bearer.${revokedToken}`] }),
        "an expired token": () => ({ protocols: ["sherpa.v1", `bearer.${expiredToken}`] }),
        "the admin token in the query string, where tokens are not accepted": () => ({
          path: `?access_token=${server.adminToken}&token=${server.adminToken}`,
          protocols: ["sherpa.v1"],
        }),
      };
      for (const [name, refusal] of Object.entries(refusals)) {
        test(`an upgrade with ${name} is refused with HTTP 401`, async () => {
          const { path: query = "", protocols: offered } = refusal();
          for (const path of paths()) {
            const url = wsUrl(query === "" ? path : `${path.split("?")[0]}${query}`);
            const handshake = await webSocketHandshake(url, offered);
            assert.equal(handshake.status, 401, `${path}: ${handshake.body}`);
            assert.match(handshake.wwwAuthenticate, /^Bearer\b/);
          }
        });
      }
    });

    test("/metrics without a credential, or with a bad one, is 401; a viewer reads it", async () => {
      const noCredential = await curl([`${server.baseUrl}/metrics`]);
      assert.equal(noCredential.status, 401, noCredential.body);
      const badToken = await curl([
        "-H",
        `authorization: Bearer ${revokedToken}`,
        `${server.baseUrl}/metrics`,
      ]);
      assert.equal(badToken.status, 401, badToken.body);
      const viewer = await tokenClient("metrics-viewer", Role.VIEWER);
      const allowed = await curl([
        "-H",
        `authorization: Bearer ${viewer.secret}`,
        `${server.baseUrl}/metrics`,
      ]);
      assert.equal(allowed.status, 200, allowed.body);
      assert.match(allowed.body, /^sherpa_/m);
    });

    test("an unauthenticated call is audited as a denial without a principal", async () => {
      const before = (await readAuditLog(server.dataDir)).length;
      const error = await rpcErrorOf(
        clientWith({ token: "let-me-in" }).tasks.getTask({ id: taskId }),
      );
      assert.equal(error.code, Code.Unauthenticated);
      const added = (await readAuditLog(server.dataDir)).slice(before);
      assert.ok(
        added.some(
          (line) =>
            line.decision === "deny" &&
            line.principal === undefined &&
            line.code === "unauthenticated" &&
            line.rpc.includes("sherpa.v1.TaskService/GetTask"),
        ),
        JSON.stringify(added),
      );
    });
  });

  describe("probes need no credential; reflection does", () => {
    test("/healthz and /readyz answer 200 without a credential", async () => {
      for (const path of ["/healthz", "/readyz"]) {
        const response = await curl([`${server.baseUrl}${path}`]);
        assert.equal(response.status, 200, `${path}: ${response.body}`);
      }
    });

    test("grpc.health.v1.Health/Check over gRPC answers SERVING without a credential", async () => {
      const health = createClient(
        Health,
        createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [sendNoCredential] }),
      );
      const response = await health.check({ service: "" }, { timeoutMs: 5000 });
      assert.equal(response.status, ServingStatus.SERVING);
    });

    test("grpcurl list: refused without a credential, answered with one", async (t) => {
      const grpcurl = await requireTool(t, "grpcurl");
      if (grpcurl === undefined) {
        return;
      }
      const address = `127.0.0.1:${server.port}`;
      // From the data directory, so that no proto file could stand in for reflection.
      const refused = await run(grpcurl, ["-plaintext", address, "list"], { cwd: server.dataDir });
      assert.notEqual(refused.exitCode, 0, refused.stdout);
      assert.match(refused.stderr, /Unauthenticated/);
      assert.doesNotMatch(refused.stdout, /sherpa\.v1/);

      const allowed = await run(
        grpcurl,
        ["-plaintext", "-H", `authorization: Bearer ${server.adminToken}`, address, "list"],
        { cwd: server.dataDir },
      );
      assert.equal(allowed.exitCode, 0, allowed.stderr);
      assert.match(allowed.stdout, /^sherpa\.v1\.TaskService$/m);
    });
  });

  describe("roles, queue grants, ownership and env values", () => {
    let viewer: TokenClient;
    let sam: TokenClient;
    let sue: TokenClient;
    let operator: TokenClient;

    before(async () => {
      await admin.queues.createQueue({ queue: { name: "vision", resourceGroups: ["all-nodes"] } });
      viewer = await tokenClient("vera", Role.VIEWER);
      sam = await tokenClient("sam", Role.SUBMITTER, ["vision"]);
      sue = await tokenClient("sue", Role.SUBMITTER);
      operator = await tokenClient("otto", Role.OPERATOR);
    });

    const submitAs = async (who: TokenClient, queue: string, env: Record<string, string> = {}) => {
      const { task } = await who.client.tasks.submitTask({ queue, argv: ["sleep", "60"], env });
      assert.ok(task);
      return task;
    };

    test("WhoAmI tells a submitter its subject, role and queue grants", async () => {
      const { principal } = await accessOf(sam.client).whoAmI({});
      assert.equal(principal?.subject, "sam");
      assert.equal(principal?.role, Role.SUBMITTER);
      assert.deepEqual(principal?.queues, ["vision"]);
      assert.ok(principal?.permissions.includes("tasks.submit"));
      assert.ok(!principal?.permissions.includes("tasks.cancel-any"));
    });

    test("a viewer reads tasks but cannot submit one", async () => {
      await viewer.client.tasks.listTasks({});
      await assertDenied(() => viewer.client.tasks.submitTask({ argv: ["true"] }), {
        subject: "vera",
        rpc: "sherpa.v1.TaskService/SubmitTask",
      });
    });

    test("a viewer cannot cancel a task", async () => {
      const task = await submitAs(sue, "default");
      await assertDenied(() => viewer.client.tasks.cancelTask({ id: task.id }), {
        subject: "vera",
        rpc: "sherpa.v1.TaskService/CancelTask",
      });
      const { task: after } = await admin.tasks.getTask({ id: task.id });
      assert.equal(after?.state, TaskState.PENDING);
    });

    test("a submitter granted queue vision submits to it, owning the task", async () => {
      const task = await submitAs(sam, "vision");
      assert.equal(task.queue, "vision");
      assert.equal(task.owner, "sam");
    });

    test("a submitter granted queue vision cannot submit to default, over any protocol", async () => {
      for (const protocol of protocols) {
        const client = createSherpaClient({
          baseUrl: server.baseUrl,
          protocol,
          token: sam.secret,
          timeoutMs: 5000,
        });
        await assertDenied(() => client.tasks.submitTask({ queue: "default", argv: ["true"] }), {
          subject: "sam",
          rpc: "sherpa.v1.TaskService/SubmitTask",
          reason: "QUEUE_NOT_GRANTED",
        });
        await assertDenied(() => client.tasks.submitTask({ argv: ["true"] }), {
          subject: "sam",
          rpc: "sherpa.v1.TaskService/SubmitTask",
          reason: "QUEUE_NOT_GRANTED",
        });
      }
    });

    test("a submitter granted queue vision can neither get nor list a task of queue default", async () => {
      const hidden = await submitAs(sue, "default");
      await assertDenied(() => sam.client.tasks.getTask({ id: hidden.id }), {
        subject: "sam",
        rpc: "sherpa.v1.TaskService/GetTask",
        reason: "QUEUE_NOT_GRANTED",
      });
      const { tasks } = await sam.client.tasks.listTasks({ pageSize: 1000 });
      assert.ok(tasks.length > 0);
      assert.ok(
        tasks.every((task) => task.queue === "vision"),
        JSON.stringify(tasks.map((task) => task.queue)),
      );
    });

    test("a submitter cannot cancel another user's task; the task stays pending", async () => {
      const sues = await submitAs(sue, "vision");
      await assertDenied(() => sam.client.tasks.cancelTask({ id: sues.id }), {
        subject: "sam",
        rpc: "sherpa.v1.TaskService/CancelTask",
        reason: "NOT_TASK_OWNER",
      });
      const { task } = await admin.tasks.getTask({ id: sues.id });
      assert.equal(task?.state, TaskState.PENDING);
    });

    test("a submitter cancels its own task", async () => {
      const own = await submitAs(sam, "vision");
      const { task } = await sam.client.tasks.cancelTask({ id: own.id });
      assert.equal(task?.state, TaskState.CANCELLED);
    });

    test("an operator cancels anybody's task, and the audit log records it as allowed", async () => {
      const sues = await submitAs(sue, "default");
      const linesBefore = (await readAuditLog(server.dataDir)).length;
      const { task } = await operator.client.tasks.cancelTask({ id: sues.id });
      assert.equal(task?.state, TaskState.CANCELLED);
      const added = (await readAuditLog(server.dataDir)).slice(linesBefore);
      assert.ok(
        added.some(
          (line) =>
            line.decision === "allow" &&
            line.principal?.subject === "otto" &&
            line.rpc === "sherpa.v1.TaskService/CancelTask" &&
            line.target.id === sues.id &&
            line.code === "ok",
        ),
        JSON.stringify(added),
      );
    });

    test("a submitter cannot create queues, tokens, or revoke the admin token", async () => {
      await assertDenied(() => sam.client.queues.createQueue({ queue: { name: "sams-own" } }), {
        subject: "sam",
        rpc: "sherpa.v1.QueueService/CreateQueue",
      });
      await assertDenied(
        () => accessOf(sam.client).createToken({ name: "sam-admin", role: Role.ADMIN }),
        { subject: "sam", rpc: "sherpa.v1.AccessService/CreateToken" },
      );
      for (const id of [idOf(server.adminToken), server.adminToken]) {
        await assertDenied(() => accessOf(sam.client).revokeToken({ id }), {
          subject: "sam",
          rpc: "sherpa.v1.AccessService/RevokeToken",
        });
      }
      await assertDenied(() => accessOf(sam.client).listTokens({}), {
        subject: "sam",
        rpc: "sherpa.v1.AccessService/ListTokens",
      });
      const { principal } = await accessOf(admin).whoAmI({});
      assert.equal(principal?.role, Role.ADMIN, "the admin token still works");
    });

    test("a submitter cannot cordon a node; an operator cannot create queues or tokens", async () => {
      await assertDenied(() => sam.client.nodes.cordonNode({ name: "gpu-1" }), {
        subject: "sam",
        rpc: "sherpa.v1.NodeService/CordonNode",
      });
      await assertDenied(() => operator.client.queues.createQueue({ queue: { name: "ottos" } }), {
        subject: "otto",
        rpc: "sherpa.v1.QueueService/CreateQueue",
      });
      await assertDenied(
        () => accessOf(operator.client).createToken({ name: "otto-admin", role: Role.ADMIN }),
        { subject: "otto", rpc: "sherpa.v1.AccessService/CreateToken" },
      );
    });

    test("a join token is no API credential: it cannot list tasks", async () => {
      const { secret } = await accessOf(admin).createJoinToken({});
      secrets.push(secret);
      const joiner = clientWith({ token: secret });
      const error = await rpcErrorOf(joiner.tasks.listTasks({}));
      assert.equal(error.code, Code.PermissionDenied, error.message);
    });

    test("a submitter granted queue vision cannot follow a default task's logs, by RPC or WebSocket", async () => {
      const hidden = await submitAs(sue, "default");
      await assertDenied(
        async () => {
          for await (const response of sam.client.tasks.streamTaskLogs({ id: hidden.id })) {
            return response;
          }
        },
        {
          subject: "sam",
          rpc: "sherpa.v1.TaskService/StreamTaskLogs",
          reason: "QUEUE_NOT_GRANTED",
        },
      );
      const outcome = await webSocketOutcome(
        `${server.baseUrl.replace(/^http/, "ws")}/v1/tasks/${hidden.id}/logs?follow=false`,
        ["sherpa.v1", `bearer.${sam.secret}`],
      );
      assert.equal(outcome.close.code, 4403, JSON.stringify(outcome));
      assert.deepEqual(outcome.frames, []);
    });

    test("a submitter granted queue vision is sent no event of a default task by WatchTasks", async () => {
      const hidden = await submitAs(sue, "default");
      const own = await submitAs(sam, "vision");
      const seen: { id: string; current: boolean; state: TaskState }[] = [];
      const events = sam.client.tasks.watchTasks({
        taskIds: [hidden.id, own.id],
        includeCurrent: true,
      });
      let cancelled = false;
      for await (const event of events) {
        seen.push({
          id: event.task?.id ?? "",
          current: event.current,
          state: event.task?.state ?? TaskState.UNSPECIFIED,
        });
        if (!event.current && event.task?.id === own.id) {
          break;
        }
        if (!cancelled && event.current && event.task?.id === own.id) {
          // The hidden task changes first, so a leaked event would arrive before own's.
          cancelled = true;
          await admin.tasks.cancelTask({ id: hidden.id });
          await sam.client.tasks.cancelTask({ id: own.id });
        }
      }
      assert.ok(cancelled, JSON.stringify(seen));
      assert.ok(
        seen.every((event) => event.id === own.id),
        `events of the default task leaked: ${JSON.stringify(seen)}`,
      );
    });

    describe("env values", () => {
      let task: Task;
      let value = "";

      before(async () => {
        value = newEnvValue();
        task = await submitAs(sue, "vision", { API_KEY: value, EMPTY: "" });
      });

      const assertHidden = (seen: Task | undefined, who: string) => {
        assert.deepEqual(seen?.env, { API_KEY: "", EMPTY: "" }, `${who} sees only the names`);
        assert.equal(seen?.envValuesHidden, true, `${who} is told the values are hidden`);
      };

      test("the owner sees its own env values", async () => {
        assert.equal(task.env.API_KEY, value, "in SubmitTask's response");
        const { task: seen } = await sue.client.tasks.getTask({ id: task.id });
        assert.equal(seen?.env.API_KEY, value);
        assert.equal(seen?.envValuesHidden, false);
      });

      test("an admin sees anybody's env values", async () => {
        const { task: seen } = await admin.tasks.getTask({ id: task.id });
        assert.equal(seen?.env.API_KEY, value);
        assert.equal(seen?.envValuesHidden, false);
      });

      test("another submitter, a viewer and an operator see names only, in GetTask and ListTasks", async () => {
        for (const [who, client] of [
          ["sam", sam.client],
          ["vera", viewer.client],
          ["otto", operator.client],
        ] as const) {
          const { task: seen } = await client.tasks.getTask({ id: task.id });
          assertHidden(seen, `${who} in GetTask`);
          const { tasks } = await client.tasks.listTasks({ pageSize: 1000 });
          assertHidden(
            tasks.find((listed) => listed.id === task.id),
            `${who} in ListTasks`,
          );
        }
      });

      test("another submitter sees names only in WatchTasks over gRPC", async () => {
        const client = createSherpaClient({
          baseUrl: server.baseUrl,
          protocol: "grpc",
          token: sam.secret,
          timeoutMs: 5000,
        });
        for await (const event of client.tasks.watchTasks({
          taskIds: [task.id],
          includeCurrent: true,
        })) {
          assertHidden(event.task, "sam in WatchTasks");
          break;
        }
      });

      test("another submitter sees names only in the /v1/events WebSocket", async () => {
        const url = `${server.baseUrl.replace(/^http/, "ws")}/v1/events?task_id=${task.id}&include_current=true`;
        const socket = new WebSocket(url, ["sherpa.v1", `bearer.${sam.secret}`]);
        try {
          const frame = await new Promise<{ task: { env?: Record<string, string> } }>(
            (resolve, reject) => {
              socket.once("message", (data) => resolve(JSON.parse(String(data))));
              socket.once("error", reject);
              socket.once("close", (code) => reject(new Error(`closed with ${code}`)));
            },
          );
          assert.deepEqual(frame.task.env, { API_KEY: "", EMPTY: "" });
          assert.doesNotMatch(JSON.stringify(frame), new RegExp(value));
        } finally {
          socket.terminate();
        }
      });
    });

    test("a request_id another user submitted with gets AlreadyExists, never that user's task", async () => {
      const requestId = `shared-${randomUUID()}`;
      const submit = {
        queue: "vision",
        argv: ["true"],
        env: { API_KEY: newEnvValue() },
        requestId,
      };
      const { task: sues } = await sue.client.tasks.submitTask(submit);
      const error = await rpcErrorOf(sam.client.tasks.submitTask(submit));
      assert.equal(error.code, Code.AlreadyExists, error.message);
      assert.equal(reasonOf(error), "REQUEST_ID_ALREADY_EXISTS");
      assert.ok(!error.message.includes(submit.env.API_KEY), error.message);
      const { task: retried } = await sue.client.tasks.submitTask(submit);
      assert.equal(retried?.id, sues?.id, "the owner's retry gets its task back");
    });

    test('ListTasks with owner "me" lists only the caller\'s own tasks', async () => {
      const own = await submitAs(sam, "vision");
      const sues = await submitAs(sue, "vision");
      const { tasks } = await sam.client.tasks.listTasks({ owner: "me", pageSize: 1000 });
      const ids = tasks.map((listed) => listed.id);
      assert.ok(ids.includes(own.id), "sam's own task is listed");
      assert.ok(!ids.includes(sues.id), "sue's task is not");
      assert.ok(tasks.every((listed) => listed.owner === "sam"));
    });
  });

  describe("the agent API is for enrolled nodes only", () => {
    /** Opens AgentSession registering `nodeName`, and resolves with the server's first answer. */
    const agentSessionAnswer = async (client: SherpaClient, nodeName: string) => {
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      async function* requests() {
        yield {
          message: { case: "register" as const, value: { nodeName, simulated: true, gpus: [] } },
        };
        await held;
      }
      try {
        for await (const response of client.agents.agentSession(requests())) {
          return response;
        }
      } finally {
        release();
      }
    };

    const uploadLogs = (client: SherpaClient, taskId: string, text: string) =>
      client.agents.uploadTaskLogs(
        (async function* () {
          yield { taskId, lines: [{ text }] };
        })(),
      );

    const logTexts = async (taskId: string) => {
      const texts: string[] = [];
      for await (const response of admin.tasks.streamTaskLogs({ id: taskId, follow: false })) {
        texts.push(...response.lines.map((line) => line.text));
      }
      return texts;
    };

    /** Enrolls a node with a fresh join token, and returns its node credential. */
    const enroll = async (nodeName: string) => {
      const join = await accessOf(admin).createJoinToken({});
      const joiner = clientWith({ protocol: "grpc", token: join.secret });
      const { credential } = await joiner.agents.enroll({ nodeName });
      secrets.push(join.secret, credential);
      return credential;
    };

    let victimTaskId = "";
    before(async () => {
      const { task } = await admin.tasks.submitTask({ argv: ["true"] });
      victimTaskId = task?.id ?? "";
    });

    test("an admin API token cannot open an agent session as a node", async () => {
      const client = clientWith({ protocol: "grpc", token: server.adminToken });
      const error = await rpcErrorOf(agentSessionAnswer(client, "gpu-stolen"));
      assert.equal(error.code, Code.PermissionDenied, error.message);
    });

    test("a submitter cannot upload log lines into a task", async () => {
      const sam = await tokenClient("log-forger", Role.SUBMITTER, [], "grpc");
      const error = await rpcErrorOf(uploadLogs(sam.client, victimTaskId, "forged by a submitter"));
      assert.equal(error.code, Code.PermissionDenied, error.message);
      assert.deepEqual(await logTexts(victimTaskId), []);
    });

    // Enrollment itself and node credentials on TaskService are
    // enrollment.test.ts's, with real agents.
    test("a node credential cannot write the logs of a task that is not on its node", async () => {
      const rogue = clientWith({ protocol: "grpc", token: await enroll("gpu-rogue") });
      const forged = await rpcErrorOf(uploadLogs(rogue, victimTaskId, "forged by a node"));
      assert.equal(forged.code, Code.PermissionDenied, forged.message);
      assert.deepEqual(await logTexts(victimTaskId), []);
    });

    test("a node credential registering as another node is refused and audited", async () => {
      const rogue = clientWith({ protocol: "grpc", token: await enroll("gpu-impostor") });
      await assertDenied(() => agentSessionAnswer(rogue, "gpu-victim"), {
        subject: "node:gpu-impostor",
        rpc: "sherpa.v1.AgentService/AgentSession",
        reason: "WRONG_NODE",
      });
    });
  });

  test("a revoked token's open WatchTasks stream ends with Unauthenticated, sending nothing more", async () => {
    for (const protocol of protocols) {
      const watcher = await tokenClient(`revoked-watcher-${protocol}`, Role.ADMIN, [], protocol);
      const { task } = await admin.tasks.submitTask({
        argv: ["true"],
        env: { SECRET: newEnvValue() },
      });
      assert.ok(task);
      const events = watcher.client.tasks
        .watchTasks({ taskIds: [task.id], includeCurrent: true }, { timeoutMs: 10_000 })
        [Symbol.asyncIterator]();
      const { value: current } = await events.next();
      assert.equal(current?.task?.env.SECRET, task.env.SECRET, `${protocol}: the stream is open`);

      await accessOf(admin).revokeToken({ id: watcher.id });
      await admin.tasks.cancelTask({ id: task.id });
      const error = await rpcErrorOf({ [Symbol.asyncIterator]: () => events });
      assert.equal(error.code, Code.Unauthenticated, `${protocol}: ${error.message}`);
      assert.equal(reasonOf(error), "TOKEN_REVOKED", `${protocol}: ${error.message}`);
    }
  });

  test("a revoked token's open /v1/events WebSocket closes with 4401, sending nothing more", {
    timeout: 15_000,
  }, async () => {
    const watcher = await tokenClient("revoked-socket-watcher", Role.ADMIN);
    const { task } = await admin.tasks.submitTask({
      argv: ["true"],
      env: { SECRET: newEnvValue() },
    });
    assert.ok(task);
    const socket = new WebSocket(
      `${server.baseUrl.replace(/^http/, "ws")}/v1/events?task_id=${task.id}&include_current=true`,
      ["sherpa.v1", `bearer.${watcher.secret}`],
    );
    const frames: { task?: { state?: string } }[] = [];
    const firstFrame = new Promise<void>((resolve) => socket.once("message", () => resolve()));
    socket.on("message", (data) => frames.push(JSON.parse(String(data))));
    const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    await firstFrame;
    await accessOf(admin).revokeToken({ id: watcher.id });
    await admin.tasks.cancelTask({ id: task.id });
    assert.equal(await closed, 4401);
    assert.deepEqual(
      frames.map((frame) => frame.task?.state),
      ["TASK_STATE_PENDING"],
      "the cancellation after the revocation was not sent",
    );
  });

  test("the audit log and admin token file are mode 0600; no log holds a token secret or an env value", async () => {
    // A few more calls that would tempt a careless log: a refused call with a
    // fresh token, a submit with an env value, a refused bad bearer.
    const who = await tokenClient("last-caller", Role.VIEWER);
    const refused = await rpcErrorOf(
      who.client.tasks.submitTask({ argv: ["true"], env: { TOKEN: newEnvValue() } }),
    );
    assert.equal(refused.code, Code.PermissionDenied);
    await admin.tasks.submitTask({ argv: ["true"], env: { TOKEN: newEnvValue() } });
    await rpcErrorOf(clientWith({ token: `${server.adminToken}x` }).tasks.listTasks({}));

    for (const file of [auditLogPath(server.dataDir), join(server.dataDir, "admin-token")]) {
      const mode = (await stat(file)).mode & 0o777;
      assert.equal(mode, 0o600, `${file} has mode ${mode.toString(8)}`);
    }
    const text = await readAuditText(server.dataDir);
    assert.ok(text.split("\n").length > 10, "the audit log has lines to check");
    const serverLog = JSON.stringify(server.logLines());
    for (const secret of secrets) {
      for (const [where, content] of [
        ["audit log", text],
        ["server log", serverLog],
      ] as const) {
        assert.ok(!content.includes(secretPartOf(secret)), `a token secret is in the ${where}`);
      }
    }
    for (const value of envValues) {
      assert.ok(!text.includes(value), "an env value is in the audit log");
      assert.ok(!serverLog.includes(value), "an env value is in the server log");
    }
  });
});
