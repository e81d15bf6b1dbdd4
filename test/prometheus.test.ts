import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createSherpaClient } from "@sherpa/sdk";
import { freePort } from "./support/free-port.js";
import { requireTool } from "./support/require-tool.js";
import { startServer } from "./support/start-server.js";

/**
 * Prometheus gets this long to scrape and answer. It scrapes every second, but
 * its target discovery waits about 5 s before the first scrape.
 */
const queryTimeoutMs = 20_000;

/** A Prometheus scraping `target` every second, with its data in `dir`. */
async function startPrometheus(prometheus: string, dir: string, target: string) {
  const config = join(dir, "prometheus.yml");
  await writeFile(
    config,
    [
      "scrape_configs:",
      "  - job_name: sherpa",
      "    scrape_interval: 1s",
      "    scrape_timeout: 1s",
      "    static_configs:",
      `      - targets: ["${target}"]`,
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

test("a real Prometheus scrapes /metrics and answers a query on grpc_server_handled_total", async (t) => {
  const prometheusBin = await requireTool(t, "prometheus");
  if (prometheusBin === undefined) {
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "sherpa-prometheus-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const server = await startServer();
  t.after(() => server.stop());
  const prometheus = await startPrometheus(prometheusBin, dir, `127.0.0.1:${server.port}`);
  t.after(() => prometheus.stop());

  const client = createSherpaClient({ baseUrl: server.baseUrl, protocol: "grpc", timeoutMs: 5000 });
  for (const argv of [["first"], ["second"], ["third"]]) {
    await client.tasks.submitTask({ argv });
  }

  const query = 'grpc_server_handled_total{grpc_method="SubmitTask",grpc_code="OK"}';
  let value: string | undefined;
  for (const deadline = Date.now() + queryTimeoutMs; Date.now() < deadline; await sleep(250)) {
    value = await queryValue(prometheus.url, query);
    if (value === "3") {
      break;
    }
  }
  assert.equal(value, "3", `${query} never became 3; Prometheus stderr:\n${prometheus.stderr()}`);
});
