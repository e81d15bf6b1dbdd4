import { type AgentLogger, silentLogger } from "../agent-logger.js";
import type { GpuInventory } from "./gpu-info.js";
import { parseSimulatedGpus } from "./parse-simulated-gpus.js";
import { queryNvidiaSmi } from "./query-nvidia-smi.js";

/** Options of discoverGpus. */
export interface DiscoverGpusOptions {
  /** The node's name; simulated GPU UUIDs are derived from it. */
  nodeName: string;
  /** The nvidia-smi program; "nvidia-smi" (looked up in PATH) unless set. */
  nvidiaSmi?: string;
  /**
   * Simulated inventory served when nvidia-smi is absent or fails, for example
   * `4xNVIDIA A100-SXM4-80GB`; empty (no GPUs) unless set.
   */
  simulated?: string;
  /** How long one nvidia-smi run may take; 10 000 ms unless set. */
  nvidiaSmiTimeoutMs?: number;
  /** Where discovery says what it found; silent unless set. */
  logger?: AgentLogger;
}

/**
 * Finds the node's GPUs: the real ones when nvidia-smi is present and works
 * (with `measureGpus` to measure them again for heartbeats), otherwise the
 * configured simulated inventory, always marked simulated; with neither, no
 * GPUs (a CPU-only node). Throws only for an invalid simulated inventory, which
 * is checked even when it is not used.
 */
export async function discoverGpus(options: DiscoverGpusOptions): Promise<GpuInventory> {
  const logger = options.logger ?? silentLogger;
  const simulatedGpus = parseSimulatedGpus(options.simulated ?? "", options.nodeName);
  const query = {
    nvidiaSmi: options.nvidiaSmi ?? "nvidia-smi",
    timeoutMs: options.nvidiaSmiTimeoutMs ?? 10_000,
  };
  try {
    const gpus = await queryNvidiaSmi(query);
    logger.info(
      { gpus: gpus.length, models: [...new Set(gpus.map((gpu) => gpu.model))] },
      "found GPUs with nvidia-smi",
    );
    return { gpus, simulated: false, measureGpus: () => queryNvidiaSmi(query) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      logger.info({ nvidiaSmi: query.nvidiaSmi }, "nvidia-smi not found");
    } else {
      logger.warn(
        { nvidiaSmi: query.nvidiaSmi, err: (error as Error).message },
        "nvidia-smi failed; not using real GPUs",
      );
    }
  }
  if (simulatedGpus.length === 0) {
    logger.info({ gpus: 0 }, "no GPUs found and none simulated: running as a CPU-only node");
    return { gpus: [], simulated: false };
  }
  logger.info(
    { gpus: simulatedGpus.length, models: [...new Set(simulatedGpus.map((gpu) => gpu.model))] },
    "serving simulated GPUs",
  );
  return { gpus: simulatedGpus, simulated: true };
}
