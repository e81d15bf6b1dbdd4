import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Registry } from "prom-client";
import { createStores } from "../storage/create-stores.js";
import { openDatabase } from "../storage/database.js";
import { createFleetCounts } from "../storage/fleet-counts.js";
import { registerDomainMetrics } from "./domain-metrics.js";

describe("registerDomainMetrics", () => {
  let db: Awaited<ReturnType<typeof openDatabase>>;
  const registry = new Registry();

  before(async () => {
    db = await openDatabase({ dataDir: ":memory:" });
    const stores = createStores(db, { nodeOfflineAfterMs: 30_000 });
    const now = new Date();
    await stores.nodes.registerNode(
      {
        name: "gpu-01",
        labels: {},
        simulated: false,
        gpus: [0, 1].map((index) => ({
          uuid: `GPU-${index}`,
          index,
          model: "NVIDIA H100 80GB HBM3",
          memoryBytes: 85_520_809_984,
        })),
      },
      now,
    );
    await stores.execution.recordHeartbeat(
      "gpu-01",
      [{ uuid: "GPU-1", utilizationPercent: 87, memoryUsedBytes: 20_780_679_168 }],
      now,
    );
    await stores.tasks.submitTask(
      {
        queue: "default",
        name: "train",
        argv: ["train"],
        env: {},
        gpuCount: 1,
        gpuModel: "",
        timeoutMs: undefined,
        labels: {},
        requestId: "",
        owner: "",
      },
      now,
    );
    registerDomainMetrics(registry, createFleetCounts(db));
  });
  after(async () => {
    await db.destroy();
  });

  it("exposes tasks, GPUs and queue quota from storage", async () => {
    const text = await registry.metrics();
    assert.match(text, /^sherpa_tasks\{queue="default",state="pending"\} 1$/m);
    assert.match(text, /^sherpa_gpus\{state="free"\} 2$/m);
    assert.match(text, /^sherpa_queue_gpu_quota\{queue="default"\} 0$/m);
  });

  it("exposes the utilisation and memory real GPUs reported in heartbeats", async () => {
    const text = await registry.metrics();
    const labels = 'node="gpu-01",gpu_uuid="GPU-1",gpu_index="1",model="NVIDIA H100 80GB HBM3"';
    assert.ok(text.includes(`sherpa_gpu_utilization_percent{${labels}} 87`), text);
    assert.ok(text.includes(`sherpa_gpu_memory_used_bytes{${labels}} 20780679168`), text);
    assert.doesNotMatch(text, /sherpa_gpu_utilization_percent\{[^}]*gpu_uuid="GPU-0"/);
  });
});
