import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createSherpaClient, type SherpaProtocol } from "@sherpa/sdk";
import { freePort } from "./support/free-port.js";
import { type MetricSample, parseMetrics, sampleValue } from "./support/metrics-text.js";
import { requireTool } from "./support/require-tool.js";
import { run } from "./support/run.js";
import { type StartedServer, startServer } from "./support/start-server.js";

const protocols = ["connect", "grpc"] as const satisfies readonly SherpaProtocol[];

/** Two GetTask calls that fail with NotFound and one SubmitTask that succeeds. */
async function makeKnownCalls(server: StartedServer, protocol: SherpaProtocol) {
  const client = createSherpaClient({
    baseUrl: server.baseUrl,
    protocol,
    token: server.adminToken,
    timeoutMs: 5000,
  });
  for (const id of ["missing-1", "missing-2"]) {
    await assert.rejects(
      client.tasks.getTask({ id }),
      (error) => ConnectError.from(error).code === Code.NotFound,
    );
  }
  await client.tasks.submitTask({ argv: ["nvidia-smi"], gpuCount: 1 });
}

/** GETs `url`, with `headers` (the main port's /metrics needs a credential), and returns the text. */
async function fetchMetrics(url: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(url, { headers });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
  return response.text();
}

/** The samples of one method: every grpc_server_* series except timing-dependent buckets. */
function methodSamples(samples: readonly MetricSample[], method: string): MetricSample[] {
  return samples.filter(
    (sample) =>
      sample.name.startsWith("grpc_server_") &&
      sample.labels.grpc_method === method &&
      !sample.name.endsWith("_sum") &&
      (!sample.name.endsWith("_bucket") || sample.labels.le === "+Inf"),
  );
}

describe("/metrics after known calls, one server per protocol", () => {
  const metricsText = new Map<SherpaProtocol, string>();
  const samplesOf = (protocol: SherpaProtocol) => parseMetrics(metricsText.get(protocol) ?? "");

  before(async () => {
    for (const protocol of protocols) {
      const server = await startServer();
      try {
        await makeKnownCalls(server, protocol);
        metricsText.set(
          protocol,
          await fetchMetrics(`${server.baseUrl}/metrics`, server.adminHeaders),
        );
      } finally {
        await server.stop();
      }
    }
  });

  for (const protocol of protocols) {
    test(`over ${protocol}: started, handled, messages, latency count and in-flight`, () => {
      const samples = samplesOf(protocol);
      const labels = (method: string) => ({
        grpc_type: "unary",
        grpc_service: "sherpa.v1.TaskService",
        grpc_method: method,
      });
      const getTask = labels("GetTask");
      const submitTask = labels("SubmitTask");
      assert.equal(sampleValue(samples, "grpc_server_started_total", getTask), 2);
      assert.equal(sampleValue(samples, "grpc_server_started_total", submitTask), 1);
      assert.equal(
        sampleValue(samples, "grpc_server_handled_total", { ...getTask, grpc_code: "NotFound" }),
        2,
      );
      assert.equal(
        sampleValue(samples, "grpc_server_handled_total", { ...getTask, grpc_code: "OK" }),
        undefined,
      );
      assert.equal(
        sampleValue(samples, "grpc_server_handled_total", { ...submitTask, grpc_code: "OK" }),
        1,
      );
      assert.equal(sampleValue(samples, "grpc_server_msg_received_total", getTask), 2);
      assert.equal(sampleValue(samples, "grpc_server_msg_received_total", submitTask), 1);
      assert.equal(sampleValue(samples, "grpc_server_msg_sent_total", getTask) ?? 0, 0);
      assert.equal(sampleValue(samples, "grpc_server_msg_sent_total", submitTask), 1);
      assert.equal(sampleValue(samples, "grpc_server_handling_seconds_count", getTask), 2);
      assert.equal(sampleValue(samples, "grpc_server_handling_seconds_count", submitTask), 1);
      assert.equal(
        sampleValue(samples, "grpc_server_handling_seconds_bucket", { ...submitTask, le: "+Inf" }),
        1,
      );
      assert.equal(sampleValue(samples, "grpc_server_in_flight_requests", getTask), 0);
      assert.equal(sampleValue(samples, "grpc_server_in_flight_requests", submitTask), 0);
    });

    test(`over ${protocol}: sherpa_tasks counts the submitted task as pending`, () => {
      const samples = samplesOf(protocol);
      assert.equal(sampleValue(samples, "sherpa_tasks", { queue: "default", state: "pending" }), 1);
    });
  }

  test("Connect and gRPC calls give identical series: same labels, same values", () => {
    for (const method of ["GetTask", "SubmitTask"]) {
      assert.deepEqual(
        methodSamples(samplesOf("grpc"), method),
        methodSamples(samplesOf("connect"), method),
        method,
      );
    }
  });

  test("promtool check metrics accepts the exposition", async (t) => {
    const promtool = await requireTool(t, "promtool");
    if (promtool === undefined) {
      return;
    }
    const result = await run(promtool, ["check", "metrics"], {
      input: metricsText.get("grpc") ?? "",
    });
    assert.equal(result.exitCode, 0, `${result.stdout}${result.stderr}`);
  });
});

describe("SHERPA_METRICS_ADDR", () => {
  let server: StartedServer;
  let metricsAddr: string;

  before(async () => {
    metricsAddr = `127.0.0.1:${await freePort()}`;
    server = await startServer({ env: { SHERPA_METRICS_ADDR: metricsAddr } });
  });
  after(() => server.stop());

  test("serves the same metrics on the separate listener, without a credential, as on the main port", async () => {
    await makeKnownCalls(server, "grpc");
    const separate = parseMetrics(await fetchMetrics(`http://${metricsAddr}/metrics`));
    const main = parseMetrics(await fetchMetrics(`${server.baseUrl}/metrics`, server.adminHeaders));
    assert.deepEqual(methodSamples(separate, "GetTask"), methodSamples(main, "GetTask"));
    assert.equal(
      sampleValue(separate, "grpc_server_handled_total", {
        grpc_method: "SubmitTask",
        grpc_code: "OK",
      }),
      1,
    );
    assert.equal(sampleValue(separate, "sherpa_tasks", { queue: "default", state: "pending" }), 1);
  });

  test("the main port's /metrics still refuses a scrape without a credential with 401", async () => {
    const response = await fetch(`${server.baseUrl}/metrics`);
    assert.equal(response.status, 401);
    assert.doesNotMatch(await response.text(), /grpc_server_/);
  });

  test("the separate listener serves only /metrics", async () => {
    const response = await fetch(`http://${metricsAddr}/healthz`);
    assert.equal(response.status, 404);
    await response.body?.cancel();
  });
});
