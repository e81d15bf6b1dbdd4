import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Registry } from "prom-client";
import { createGrpcServerMetrics } from "./grpc-server-metrics.js";

const labels = {
  grpc_type: "unary",
  grpc_service: "sherpa.v1.TaskService",
  grpc_method: "GetTask",
};

async function bucketBounds(registry: Registry): Promise<string[]> {
  const text = await registry.getSingleMetricAsString("grpc_server_handling_seconds");
  return [...text.matchAll(/^grpc_server_handling_seconds_bucket\{.*\ble="([^"]+)"/gm)].map(
    ([, bound]) => bound ?? "",
  );
}

describe("createGrpcServerMetrics", () => {
  it("registers the go-grpc-prometheus metrics with their labels", async () => {
    const registry = new Registry();
    createGrpcServerMetrics(registry);
    const registered = (await registry.getMetricsAsJSON()).map(({ name, type }) => ({
      name,
      type,
    }));
    assert.deepEqual(registered, [
      { name: "grpc_server_started_total", type: "counter" },
      { name: "grpc_server_handled_total", type: "counter" },
      { name: "grpc_server_handling_seconds", type: "histogram" },
      { name: "grpc_server_msg_received_total", type: "counter" },
      { name: "grpc_server_msg_sent_total", type: "counter" },
      { name: "grpc_server_in_flight_requests", type: "gauge" },
    ]);
  });

  it("uses Prometheus' default buckets for handling time", async () => {
    const registry = new Registry();
    createGrpcServerMetrics(registry).handlingSeconds.observe(labels, 0.2);
    assert.deepEqual(await bucketBounds(registry), [
      "0.005",
      "0.01",
      "0.025",
      "0.05",
      "0.1",
      "0.25",
      "0.5",
      "1",
      "2.5",
      "5",
      "10",
      "+Inf",
    ]);
  });

  it("takes other buckets", async () => {
    const registry = new Registry();
    createGrpcServerMetrics(registry, { histogramBuckets: [0.1, 1] }).handlingSeconds.observe(
      labels,
      0.2,
    );
    assert.deepEqual(await bucketBounds(registry), ["0.1", "1", "+Inf"]);
  });
});
