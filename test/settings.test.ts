import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createConnection, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { pollUntil } from "@sherpa/kit/testing";
import { freePort } from "./support/free-port.js";
import { openLogSocket, runLongLogTask } from "./support/long-log.js";
import { repoRoot, serverMain } from "./support/repo-paths.js";
import { type StartedServer, startServer } from "./support/start-server.js";

/**
 * The effect of the server settings that only show in a server process:
 * where it listens, what it writes at start, what it logs, and what it tells
 * agents. config.spec.ts checks that they parse; server-settings.spec.ts shows
 * the effect of the others that no other test shows.
 */

/** A second loopback address: Linux routes all of 127/8 to lo. */
const otherLoopback = "127.0.0.2";

/** A TCP port free on `host` a moment ago. */
function freePortOn(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("no port was assigned")),
      );
    });
  });
}

/** Resolves with the error code of connecting to host:port, or "connected". */
function connectOutcome(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket: Socket = createConnection({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe("a server started with SHERPA_HOST, SHERPA_PORT, SHERPA_CLI_PROFILE and SHERPA_HEARTBEAT_INTERVAL_MS", () => {
  const heartbeatIntervalMs = 1234;
  let server: StartedServer;
  let port: number;
  let profileDir: string;
  let profilePath: string;
  let skipped: string | undefined;

  before(async () => {
    profileDir = await mkdtemp(join(tmpdir(), "sherpa-settings-profile-"));
    profilePath = join(profileDir, "profiles", "sherpa.json");
    port = await freePortOn(otherLoopback).catch(() => 0);
    if (port === 0) {
      skipped = `this machine cannot bind ${otherLoopback}`;
      return;
    }
    server = await startServer({
      env: {
        SHERPA_HOST: otherLoopback,
        SHERPA_PORT: String(port),
        SHERPA_CLI_PROFILE: profilePath,
        // Were SHERPA_CLI_PROFILE ignored, the default profile would land here, not in the user's home.
        HOME: profileDir,
        XDG_CONFIG_HOME: join(profileDir, ".config"),
        SHERPA_EMBEDDED_AGENT: "true",
        SHERPA_AGENT_GPUS: "1xNVIDIA A100-SXM4-80GB",
        SHERPA_HEARTBEAT_INTERVAL_MS: String(heartbeatIntervalMs),
      },
    });
  });
  after(async () => {
    await server?.stop();
    await rm(profileDir, { recursive: true, force: true });
  });

  test("listens on SHERPA_HOST:SHERPA_PORT, and not on 127.0.0.1", async (t) => {
    if (skipped !== undefined) return t.skip(skipped);
    assert.equal(server.baseUrl, `http://${otherLoopback}:${port}`);
    const response = await fetch(`${server.baseUrl}/healthz`);
    assert.equal(response.status, 200);
    await response.body?.cancel();
    assert.equal(await connectOutcome("127.0.0.1", port), "ECONNREFUSED");
  });

  test("writes the CLI profile to SHERPA_CLI_PROFILE, naming this server and its token file", async (t) => {
    if (skipped !== undefined) return t.skip(skipped);
    await server.waitForLogLine((line) => line.msg === "CLI profile written");
    assert.deepEqual(JSON.parse(await readFile(profilePath, "utf8")), {
      server: server.baseUrl,
      tokenFile: join(server.dataDir, "admin-token"),
    });
    assert.equal((await stat(profilePath)).mode & 0o777, 0o600);
  });

  test("tells agents to heartbeat every SHERPA_HEARTBEAT_INTERVAL_MS", async (t) => {
    if (skipped !== undefined) return t.skip(skipped);
    // The embedded agent logs the interval the server's Registered message gave it.
    const registered = await server.waitForLogLine(
      (line) => line.msg === "registered with the server",
    );
    assert.equal(registered.heartbeatIntervalMs, heartbeatIntervalMs);
  });
});

test("SHERPA_CLI_PROFILE=none writes no profile, not even at the default path", async () => {
  const home = await mkdtemp(join(tmpdir(), "sherpa-settings-home-"));
  try {
    const server = await startServer({
      env: { HOME: home, XDG_CONFIG_HOME: join(home, ".config"), SHERPA_CLI_PROFILE: "none" },
    });
    // The profile would be written right after the server listens; once it has exited, never.
    assert.equal(await server.stop(), 0);
    assert.equal(existsSync(join(home, ".config", "sherpa", "profile.json")), false);
    assert.equal(server.logLines().filter((line) => line.msg === "CLI profile written").length, 0);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test("SHERPA_LOG_LEVEL=warn logs warnings and no info lines", async () => {
  // Started by hand: startServer waits for the "Server listening" line, an info line.
  const port = await freePort();
  const child = spawn(process.execPath, [serverMain], {
    cwd: repoRoot,
    env: {
      ...process.env,
      SHERPA_HOST: "127.0.0.1",
      SHERPA_PORT: String(port),
      // An in-memory database warns at start that the admin token is written nowhere.
      SHERPA_DATA_DIR: ":memory:",
      SHERPA_EMBEDDED_AGENT: "false",
      SHERPA_CLI_PROFILE: "none",
      SHERPA_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  try {
    await pollUntil(
      () => fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.status, String),
      (status) => status === 200,
      { what: "the server to answer /healthz" },
    );
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  } finally {
    child.kill("SIGKILL");
    process.removeListener("exit", killOnExit);
  }
  const logLines = stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { level?: number; msg?: string })
    .filter((line) => typeof line.level === "number");
  assert.deepEqual(
    logLines.filter((line) => (line.level ?? 0) < 40).map((line) => line.msg),
    [],
    "no info lines: not even Server listening or shutting down",
  );
  assert.ok(
    logLines.some((line) => line.level === 40 && /^in-memory database/.test(line.msg ?? "")),
    stdout,
  );
});

describe("SHERPA_WEBSOCKET_BUFFER_BYTES", () => {
  /** Far more than the log's frames: a server that honours it never gives up on a stalled reader. */
  const bufferBytes = 128 * 1024 * 1024;
  let server: StartedServer;
  before(async () => {
    server = await startServer({
      env: {
        SHERPA_EMBEDDED_AGENT: "true",
        SHERPA_AGENT_GPUS: "1xNVIDIA A100-SXM4-80GB",
        SHERPA_WEBSOCKET_BUFFER_BYTES: String(bufferBytes),
      },
    });
  });
  after(() => server.stop());

  test("a reader that stalls while more than the default 1 MiB is queued still gets the whole log", async () => {
    // About 17 MB of log frames: three times what socket buffers and the default limit
    // hold (a server limited to 1 MiB closes this reader with 4429 after about 5 MB).
    const id = await runLongLogTask(server, 120_000);

    const readStartedAt = Date.now();
    const whole = await (await openLogSocket(server, id)).result;
    const wholeLogMs = Date.now() - readStartedAt;
    assert.equal(whole.code, 1000);

    const stalled = await openLogSocket(server, id);
    stalled.tcp.pause();
    // The stall is the behaviour under test: twice as long as the server took to
    // send the whole log to a reader that kept up, so all of it is queued by then.
    await sleep(2 * wholeLogMs);
    stalled.tcp.resume();
    const { code, bytes } = await stalled.result;
    assert.equal(code, 1000, `closed with ${code} after ${bytes} of ${whole.bytes} bytes`);
    assert.equal(bytes, whole.bytes);
  });
});
