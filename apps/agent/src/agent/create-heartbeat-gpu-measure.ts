import type { AgentLogger } from "../agent-logger.js";
import type { GpuInfo } from "../gpu/gpu-info.js";

/**
 * Makes the GPU measurement each heartbeat carries: none for simulated GPUs or
 * without `measureGpus`; a failing measurement gives none either, and is
 * logged once until it works again.
 */
export function createHeartbeatGpuMeasure(
  simulated: boolean,
  measureGpus: (() => Promise<GpuInfo[]>) | undefined,
  logger: AgentLogger,
): () => Promise<GpuInfo[]> {
  let failing = false;
  return async () => {
    if (simulated || measureGpus === undefined) {
      return [];
    }
    try {
      const gpus = await measureGpus();
      failing = false;
      return gpus;
    } catch (error) {
      if (!failing) {
        logger.warn(
          { err: (error as Error).message },
          "cannot measure GPUs; heartbeats go without",
        );
      }
      failing = true;
      return [];
    }
  };
}
