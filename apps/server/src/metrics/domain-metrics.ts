import { Gauge, type Registry } from "prom-client";
import type { FleetCounts, GpuUsage } from "../storage/fleet-counts.js";

/**
 * Registers Sherpa's domain gauges, read from storage at scrape time so they
 * are never stale: tasks by queue and state, GPUs by state, and each queue's
 * GPU quota next to its usage.
 */
export function registerDomainMetrics(registry: Registry, counts: FleetCounts): void {
  new Gauge({
    name: "sherpa_tasks",
    help: "Tasks by queue and state.",
    labelNames: ["queue", "state"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const { queue, state, tasks } of await counts.tasksByQueueAndState()) {
        this.set({ queue, state }, tasks);
      }
    },
  });
  new Gauge({
    name: "sherpa_gpus",
    help: "GPUs by state (free, allocated, unhealthy).",
    labelNames: ["state"],
    registers: [registry],
    async collect() {
      for (const [state, gpus] of Object.entries(await counts.gpusByState())) {
        this.set({ state }, gpus);
      }
    },
  });
  new Gauge({
    name: "sherpa_queue_gpu_quota",
    help: "Most GPUs a queue's tasks may hold at once; 0 means no limit.",
    labelNames: ["queue"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const queue of await counts.queueQuotas()) {
        this.set({ queue: queue.queue }, queue.gpuQuota);
      }
    },
  });
  new Gauge({
    name: "sherpa_queue_gpus_in_use",
    help: "GPUs held by a queue's running tasks.",
    labelNames: ["queue"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const queue of await counts.queueQuotas()) {
        this.set({ queue: queue.queue }, queue.gpusInUse);
      }
    },
  });
  const gpuLabels = ["node", "gpu_uuid", "gpu_index", "model"];
  new Gauge({
    name: "sherpa_gpu_utilization_percent",
    help: "GPU utilisation in percent, as nvidia-smi last measured it (real GPUs only).",
    labelNames: gpuLabels,
    registers: [registry],
    async collect() {
      this.reset();
      for (const gpu of await counts.measuredGpus()) {
        if (gpu.utilizationPercent !== undefined) {
          this.set(gpuLabelsOf(gpu), gpu.utilizationPercent);
        }
      }
    },
  });
  new Gauge({
    name: "sherpa_gpu_memory_used_bytes",
    help: "GPU memory in use, as nvidia-smi last measured it (real GPUs only).",
    labelNames: gpuLabels,
    registers: [registry],
    async collect() {
      this.reset();
      for (const gpu of await counts.measuredGpus()) {
        if (gpu.memoryUsedBytes !== undefined) {
          this.set(gpuLabelsOf(gpu), gpu.memoryUsedBytes);
        }
      }
    },
  });
}

function gpuLabelsOf(gpu: GpuUsage) {
  return { node: gpu.node, gpu_uuid: gpu.uuid, gpu_index: String(gpu.index), model: gpu.model };
}
