import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { freePort } from "./free-port.js";
import { spawnOwned } from "./owned-process.js";
import type { ServerUnderTest } from "./server-under-test.js";

/** The built server. */
const serverMain = fileURLToPath(new URL("../apps/server/dist/main.js", import.meta.url));

/**
 * The settings a benchmark changes. The rate limit (100/s, burst 200 per
 * principal) would otherwise refuse nearly every call of the load generator,
 * which sends them all as the admin.
 */
export const benchSherpaSettings: Readonly<Record<string, string>> = {
  SHERPA_RATE_LIMIT_PER_SECOND: "1000000",
  SHERPA_RATE_LIMIT_BURST: "1000000",
};

/** A running Sherpa server. */
export interface SherpaProcess extends ServerUnderTest {
  baseUrl: string;
  adminToken: string;
}

const readyTimeoutMs = 30_000;

/**
 * Starts the built server on a free port of 127.0.0.1 with its default
 * settings but {@link benchSherpaSettings} (logging, metrics, audit log, auth
 * and the embedded agent on), its log going to `logFile`, and resolves once
 * /readyz answers 200.
 */
export async function startSherpa(dataDir: string, logFile: string): Promise<SherpaProcess> {
  const port = await freePort();
  const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith("SHERPA_"));
  const owned = spawnOwned(process.execPath, [serverMain], {
    logFile,
    env: {
      ...Object.fromEntries(inherited),
      SHERPA_HOST: "127.0.0.1",
      SHERPA_PORT: String(port),
      SHERPA_DATA_DIR: dataDir,
      // The benchmark never touches the user's own CLI profile.
      SHERPA_CLI_PROFILE: "none",
      ...benchSherpaSettings,
    },
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(baseUrl, owned.exited, logFile);
  } catch (error) {
    await owned.stop();
    throw error;
  }
  const adminToken = (await readFile(join(dataDir, "admin-token"), "utf8")).trim();
  const headers = { authorization: `Bearer ${adminToken}` };
  return {
    name: "Sherpa",
    pid: owned.pid,
    baseUrl,
    adminToken,
    h2Url: baseUrl,
    h1Url: baseUrl,
    headers,
    serves: new Set([
      "get-task-grpc",
      "get-task-connect-proto",
      "get-task-connect-json",
      "health-check-grpc",
      "submit-task-grpc",
      "stream-task-logs",
      "watch-tasks",
    ]),
    failedCalls: (method) => countFailedCalls(baseUrl, headers, method),
    stop: owned.stop,
  };
}

async function waitUntilReady(
  baseUrl: string,
  exited: Promise<number | null>,
  logFile: string,
): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`Sherpa exited with status ${exitCode} before it was ready; see ${logFile}`);
    }
    const ready = await fetch(`${baseUrl}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) {
      return;
    }
    await sleep(100);
  }
  throw new Error(`Sherpa was not ready within ${readyTimeoutMs} ms; see ${logFile}`);
}

/** Sums `grpc_server_handled_total` of one method over every code but OK, from /metrics. */
async function countFailedCalls(
  baseUrl: string,
  headers: Record<string, string>,
  method: string,
): Promise<number> {
  const response = await fetch(`${baseUrl}/metrics`, { headers });
  if (!response.ok) {
    throw new Error(`GET /metrics answered ${response.status}`);
  }
  let failed = 0;
  for (const line of (await response.text()).split("\n")) {
    if (
      line.startsWith("grpc_server_handled_total{") &&
      line.includes(`grpc_method="${method}"`) &&
      !line.includes('grpc_code="OK"')
    ) {
      failed += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return failed;
}
