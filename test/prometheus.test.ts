import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pollUntil } from "@sherpa/kit/testing";
import { createSherpaClient } from "@sherpa/sdk";
import { freePort } from "./support/free-port.js";
import { requireTool } from "./support/require-tool.js";
import { startServer } from "./support/start-server.js";

/**
 * Prometheus gets this long to scrape and answer. It scrapes every second, but
 * its target discovery waits about 5 s before the first scrape.
 */
const queryTimeoutMs = 20_000;

/** The job that scrapes with the admin token, and the one that scrapes without a credential. */
const jobWithToken = "sherpa";
const jobWithoutToken = "sherpa-anonymous";

/**
 * A Prometheus scraping `target` every second twice over, with its data in
 * `dir`: as job {@link jobWithToken} with the bearer token read from
 * `tokenFile`, and as job {@link jobWithoutToken} with none.
 */
async function startPrometheus(prometheus: string, dir: string, target: string, tokenFile: string) {
  const config = join(dir, "prometheus.yml");
  const job = (name: string, extraLines: string[]) => [
    `  - job_name: ${name}`,
    "    scrape_interval: 1s",
    "    scrape_timeout: 1s",
    ...extraLines,
    "    static_configs:",
    `      - targets: ["${target}"]`,
  ];
  await writeFile(
    config,
    [
      "scrape_configs:",
      ...job(jobWithToken, [
        "    authorization:",
        "      type: Bearer",
        `      credentials_file: ${JSON.stringify(tokenFile)}`,
      ]),
      ...job(jobWithoutToken, []),
      "",
    ].join("\n"),
  );
  const address = `127.0.0.1:${await freePort()}`;
  const child = spawn(
    prometheus,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=${address}`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    url: `http://${address}`,
    stderr: () => stderr,
    async stop() {
      child.kill("SIGTERM");
      const killTimer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(killTimer);
    },
  };
}

/** The part of Prometheus's `/api/v1/query` answer read here. */
interface QueryResponse {
  data?: { result?: { value?: [number, string] }[] };
}

/** The value of an instant query's only sample, or undefined while there is none. */
async function queryValue(prometheusUrl: string, query: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query })}`);
    const body = (await response.json()) as QueryResponse;
    return body.data?.result?.[0]?.value?.[1];
  } catch {
    // Not listening yet.
    return undefined;
  }
}

/** One scrape target as Prometheus's `/api/v1/targets` reports it. */
interface ActiveTarget {
  labels: Record<string, string>;
  /** "up", "down", or "unknown" until the first scrape. */
  health: string;
  lastError: string;
}

/** The target of `job`, or undefined while Prometheus is not listening or knows none. */
async function targetOf(prometheusUrl: string, job: string): Promise<ActiveTarget | undefined> {
  try {
    const response = await fetch(`${prometheusUrl}/api/v1/targets?state=active`);
    const body = (await response.json()) as { data?: { activeTargets?: ActiveTarget[] } };
    return body.data?.activeTargets?.find((target) => target.labels.job === job);
  } catch {
    // Not listening yet.
    return undefined;
  }
}

test("a real Prometheus scrapes /metrics and answers a query on grpc_server_handled_total", async (t) => {
  const prometheusBin = await requireTool(t, "prometheus");
  if (prometheusBin === undefined) {
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "sherpa-prometheus-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const server = await startServer();
  t.after(() => server.stop());
  const tokenFile = join(dir, "sherpa-token");
  await writeFile(tokenFile, server.adminToken, { mode: 0o600 });
  const prometheus = await startPrometheus(
    prometheusBin,
    dir,
    `127.0.0.1:${server.port}`,
    tokenFile,
  );
  t.after(() => prometheus.stop());
  const withPrometheusStderr = (error: Error) => {
    throw new Error(`${error.message}; Prometheus stderr:\n${prometheus.stderr()}`);
  };

  const client = createSherpaClient({
    baseUrl: server.baseUrl,
    protocol: "grpc",
    token: server.adminToken,
    timeoutMs: 5000,
  });
  for (const argv of [["first"], ["second"], ["third"]]) {
    await client.tasks.submitTask({ argv });
  }

  await t.test("with the bearer token of its credentials_file, the query answers 3", async () => {
    const query = `grpc_server_handled_total{job="${jobWithToken}",grpc_method="SubmitTask",grpc_code="OK"}`;
    const value = await pollUntil(
      () => queryValue(prometheus.url, query),
      (value) => value === "3",
      { what: `${query} to be 3`, timeoutMs: queryTimeoutMs, intervalMs: 250 },
    ).catch(withPrometheusStderr);
    assert.equal(value, "3");
  });

  await t.test("without a credential, its scrape is refused with HTTP 401", async () => {
    const target = await pollUntil(
      () => targetOf(prometheus.url, jobWithoutToken),
      (target) => target !== undefined && target.health !== "unknown",
      {
        what: `the first scrape of job ${jobWithoutToken}`,
        timeoutMs: queryTimeoutMs,
        intervalMs: 250,
      },
    ).catch(withPrometheusStderr);
    assert.equal(target?.health, "down");
    assert.match(target?.lastError ?? "", /\b401\b/);
  });
});
