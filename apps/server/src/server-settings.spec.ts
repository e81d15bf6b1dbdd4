import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import http2 from "node:http2";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pollUntil } from "@sherpa/kit/testing";
import { type OidcIssuer, startOidcIssuer } from "@sherpa/kit/testing/oidc-issuer";
import { buildServer, type SherpaServer } from "./build-server.js";
import { loadConfig } from "./config.js";

/**
 * The effect of each server setting that no other test shows, seen in-process
 * through `app.inject` (or a loopback listener where the setting is about
 * connections). config.spec.ts checks that the settings parse; these check
 * that the server does what they say. test/settings.test.ts shows the effect
 * of those that only a server process shows (listening, logging, the CLI profile).
 */

/** A server built from `SHERPA_*` variables on a fresh data directory, with its own cleanup. */
interface BuiltServer {
  server: SherpaServer;
  dataDir: string;
  /** A Connect JSON call with `token`, the admin's unless given. */
  call(
    method: string,
    body: object,
    token?: string,
  ): Promise<{ status: number; json: Record<string, unknown> }>;
  adminToken: string;
  close(): Promise<void>;
}

/** Builds a server (not listening) from `env` on top of quiet defaults, and makes it ready. */
async function buildFromEnv(
  env: Record<string, string>,
  options: { now?: () => Date } = {},
): Promise<BuiltServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "sherpa-server-settings-"));
  const loaded = loadConfig([], {
    SHERPA_DATA_DIR: dataDir,
    SHERPA_LOG_LEVEL: "silent",
    SHERPA_EMBEDDED_AGENT: "false",
    SHERPA_CLI_PROFILE: "none",
    ...env,
  });
  assert.equal(loaded.kind, "config");
  const server = await buildServer(loaded.config, { now: options.now });
  await server.app.ready();
  const adminToken = (await readFile(loaded.config.adminTokenFile, "utf8")).trim();
  return {
    server,
    dataDir,
    adminToken,
    async call(method, body, token = adminToken) {
      const response = await server.app.inject({
        method: "POST",
        url: `/sherpa.v1.${method}`,
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        payload: body,
      });
      return { status: response.statusCode, json: response.json() };
    },
    async close() {
      await server.app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

describe("SHERPA_ADMIN_TOKEN_FILE and SHERPA_AUDIT_LOG", () => {
  let built: BuiltServer;
  let elsewhere: string;
  before(async () => {
    elsewhere = await mkdtemp(join(tmpdir(), "sherpa-server-settings-files-"));
    built = await buildFromEnv({
      SHERPA_ADMIN_TOKEN_FILE: join(elsewhere, "secrets", "admin-token"),
      SHERPA_AUDIT_LOG: join(elsewhere, "sherpa-audit.jsonl"),
    });
  });
  after(async () => {
    await built.close();
    await rm(elsewhere, { recursive: true, force: true });
  });

  it("writes the first admin token to SHERPA_ADMIN_TOKEN_FILE, mode 0600, and not into the data directory", async () => {
    const file = join(elsewhere, "secrets", "admin-token");
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(existsSync(join(built.dataDir, "admin-token")), false);
    const { status, json } = await built.call("AccessService/WhoAmI", {});
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal((json.principal as { subject: string }).subject, "admin");
  });

  it("appends audit lines to SHERPA_AUDIT_LOG, and none to <data dir>/audit.log", async () => {
    const created = await built.call("QueueService/CreateQueue", {
      queue: { name: "audited", resourceGroups: ["all-nodes"] },
    });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    const refused = await built.call("QueueService/CreateQueue", { queue: {} }, "shp_not-a-token");
    assert.equal(refused.status, 401);

    const lines = (await readFile(join(elsewhere, "sherpa-audit.jsonl"), "utf8"))
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as { rpc: string; decision: string });
    assert.deepEqual(
      lines.map((line) => [/QueueService\/CreateQueue$/.test(line.rpc), line.decision]),
      [
        [true, "allow"],
        [true, "deny"],
      ],
      JSON.stringify(lines),
    );
    assert.equal(existsSync(join(built.dataDir, "audit.log")), false);
  });
});

/** A clock that moves only when the test moves it: no rate-limit token comes back by itself. */
function manualClock() {
  let nowMs = Date.parse("2024-05-01T12:00:00Z");
  return {
    now: () => new Date(nowMs),
    advance(ms: number) {
      nowMs += ms;
    },
  };
}

describe("SHERPA_RATE_LIMIT_PER_SECOND", () => {
  const clock = manualClock();
  let built: BuiltServer;
  before(async () => {
    built = await buildFromEnv(
      { SHERPA_RATE_LIMIT_PER_SECOND: "4", SHERPA_RATE_LIMIT_BURST: "2" },
      { now: clock.now },
    );
  });
  after(() => built.close());

  it("refills a principal's budget at the configured rate: one call every 250 ms", async () => {
    for (let call = 0; call < 2; call++) {
      assert.equal((await built.call("AccessService/WhoAmI", {})).status, 200);
    }
    const refused = await built.call("AccessService/WhoAmI", {});
    assert.equal(refused.status, 429);
    assert.match(String(refused.json.message), /retry in 250 ms$/);

    clock.advance(200);
    const early = await built.call("AccessService/WhoAmI", {});
    assert.equal(early.status, 429, "a token is not back after 200 ms at 4 per second");
    clock.advance(50);
    assert.equal((await built.call("AccessService/WhoAmI", {})).status, 200);
  });
});

describe("SHERPA_AUTH_FAILURES_PER_MINUTE", () => {
  const clock = manualClock();
  let built: BuiltServer;
  before(async () => {
    built = await buildFromEnv({ SHERPA_AUTH_FAILURES_PER_MINUTE: "3" }, { now: clock.now });
  });
  after(() => built.close());

  it("refuses a peer after that many failed authentications, for a minute's share of them", async () => {
    const guess = () =>
      built.call("AccessService/WhoAmI", {}, `shp_${"a".repeat(16)}_${"b".repeat(52)}`);
    for (let failure = 0; failure < 3; failure++) {
      assert.equal((await guess()).status, 401);
    }
    const limited = await guess();
    assert.equal(limited.status, 429);
    assert.match(String(limited.json.message), /retry in 20 s$/);
    assert.equal(
      (await built.call("AccessService/WhoAmI", {})).status,
      429,
      "even the admin token",
    );

    clock.advance(20_000);
    assert.equal((await built.call("AccessService/WhoAmI", {})).status, 200);
  });
});

describe("SHERPA_OIDC_CLAIM and SHERPA_OIDC_CLAIM_PREFIX", () => {
  let issuer: OidcIssuer;
  let built: BuiltServer;
  before(async () => {
    issuer = await startOidcIssuer();
    built = await buildFromEnv({
      SHERPA_OIDC_ISSUER: issuer.issuer,
      SHERPA_OIDC_AUDIENCE: issuer.audience,
      SHERPA_OIDC_CLAIM: "roles",
      SHERPA_OIDC_CLAIM_PREFIX: "acme/",
    });
  });
  after(async () => {
    await built?.close();
    await issuer?.stop();
  });

  const whoAmI = async (claims: Record<string, unknown>) => {
    const { status, json } = await built.call(
      "AccessService/WhoAmI",
      {},
      await issuer.sign({ sub: "dana", ...claims }),
    );
    assert.equal(status, 200, JSON.stringify(json));
    return json.principal as { subject: string; role?: string; queues?: string[] };
  };

  it("takes roles and queue grants from the configured claim, by the configured prefix", async () => {
    const principal = await whoAmI({
      roles: ["acme/operator", "acme/queue:vision", "sherpa:admin"],
    });
    assert.equal(principal.subject, "oidc:dana");
    assert.equal(principal.role, "ROLE_OPERATOR", "sherpa:admin lacks the configured prefix");
    assert.deepEqual(principal.queues, ["vision"]);
  });

  it("gives no role for entries in the default groups claim or with the default prefix", async () => {
    const principal = await whoAmI({ groups: ["acme/admin", "sherpa:admin"] });
    assert.equal(principal.role ?? "ROLE_UNSPECIFIED", "ROLE_UNSPECIFIED");
  });
});

describe("the embedded agent's SHERPA_AGENT_GPUS and SHERPA_AGENT_WORK_DIR", () => {
  let built: BuiltServer;
  let workDir: string;
  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), "sherpa-server-settings-work-"));
    built = await buildFromEnv({
      SHERPA_EMBEDDED_AGENT: "true",
      SHERPA_NODE_NAME: "settings-node",
      // A program that does not exist: the agent simulates SHERPA_AGENT_GPUS.
      SHERPA_AGENT_NVIDIA_SMI: "sherpa-test-has-no-nvidia-smi",
      SHERPA_AGENT_GPUS: "2xTesla T4",
      SHERPA_AGENT_WORK_DIR: workDir,
    });
  });
  after(async () => {
    await built.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it("registers the node with the simulated GPUs of SHERPA_AGENT_GPUS", async () => {
    const { json } = await pollUntil(
      () => built.call("NodeService/GetNode", { name: "settings-node" }),
      (response) => response.status === 200,
      { what: "the embedded agent's node to register" },
    );
    const node = json.node as { simulated?: boolean; gpus: { model: string }[] };
    assert.equal(node.simulated, true);
    assert.deepEqual(
      node.gpus.map((gpu) => gpu.model),
      ["Tesla T4", "Tesla T4"],
    );
  });

  it("runs each task in <SHERPA_AGENT_WORK_DIR>/tasks/<task id>", async () => {
    const seenCwd = join(workDir, "seen-cwd");
    const submitted = await built.call("TaskService/SubmitTask", {
      argv: ["sh", "-c", 'pwd > "$1"', "sh", seenCwd],
      gpuCount: 1,
    });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.json));
    const id = (submitted.json.task as { id: string }).id;
    const { json } = await pollUntil(
      () => built.call("TaskService/GetTask", { id }),
      (response) => String((response.json.task as { state: string }).state).endsWith("SUCCEEDED"),
      { what: `task ${id} to succeed` },
    );
    assert.equal((json.task as { nodeName: string }).nodeName, "settings-node");
    assert.equal((await readFile(seenCwd, "utf8")).trim(), join(workDir, "tasks", id));
  });
});

describe("SHERPA_IDLE_TIMEOUT_MS", () => {
  const idleTimeoutMs = 300;
  /** Far below the default of 60 s, so a server that ignores the setting fails. */
  const closeWithinMs = 20 * idleTimeoutMs;
  let built: BuiltServer;
  let port: number;
  before(async () => {
    built = await buildFromEnv({ SHERPA_IDLE_TIMEOUT_MS: String(idleTimeoutMs) });
    await built.server.app.listen({ host: "127.0.0.1", port: 0 });
    port = (built.server.app.server.address() as net.AddressInfo).port;
  });
  after(() => built.close());

  /** Resolves with true once `emitter` emits `event`, false if it has not within closeWithinMs. */
  const closesInTime = (emitter: NodeJS.EventEmitter, event: string) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), closeWithinMs);
      emitter.once(event, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });

  it("closes an HTTP/1.1 keep-alive connection left idle", async () => {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => {});
    socket.setEncoding("utf8");
    try {
      let received = "";
      socket.on("data", (chunk: string) => {
        received += chunk;
      });
      const answers = () => received.split("HTTP/1.1 200").length - 1;
      // Two requests on one connection: it is kept alive, not closed after each answer.
      for (const expected of [1, 2]) {
        socket.write("GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n");
        await pollUntil(answers, (count) => count === expected, {
          what: `answer ${expected} on the kept-alive connection`,
          intervalMs: 10,
        });
      }
      assert.equal(
        await closesInTime(socket, "close"),
        true,
        `open ${closeWithinMs} ms after going idle`,
      );
    } finally {
      socket.destroy();
    }
  });

  it("closes an HTTP/2 session left idle", async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    try {
      const stream = session.request({ ":path": "/healthz" });
      const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
      assert.equal(headers[":status"], 200);
      stream.resume();
      await once(stream, "end");
      assert.equal(
        await closesInTime(session, "close"),
        true,
        `open ${closeWithinMs} ms after going idle`,
      );
    } finally {
      session.destroy();
    }
  });
});
