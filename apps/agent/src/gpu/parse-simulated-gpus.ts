import { createHash } from "node:crypto";
import type { GpuInfo } from "./gpu-info.js";
import { knownGpuMemoryBytes } from "./known-gpu-models.js";

/** Most GPUs a simulated node may claim; a typo like 800 instead of 8 is caught. */
const maxSimulatedGpus = 256;

/**
 * Parses a simulated GPU inventory such as `4xNVIDIA A100-SXM4-80GB` or
 * `2xNVIDIA H100 80GB HBM3,2xTesla T4` (a count may be left out for one GPU).
 * GPUs are numbered from 0 in the order given. Memory comes from a table of
 * known models (0 for others); each GPU gets a stable fake UUID derived from the
 * node name and its index, `GPU-sim-...`. An empty spec means no GPUs. Throws an
 * Error naming the entry at fault.
 */
export function parseSimulatedGpus(spec: string, nodeName: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  const entries = spec
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  for (const entry of entries) {
    const match = /^(?:(\d+)\s*x\s*)?(\S.*)$/.exec(entry);
    const count = match?.[1] === undefined ? 1 : Number(match[1]);
    const model = match?.[2]?.trim() ?? "";
    // "4x" alone would otherwise read as one GPU of a model named "4x".
    if (match === null || count < 1 || /^\d+\s*x$/i.test(entry)) {
      throw new Error(
        `simulated GPUs: "${entry}" is not COUNTxMODEL, for example "4xNVIDIA A100-SXM4-80GB"`,
      );
    }
    if (gpus.length + count > maxSimulatedGpus) {
      throw new Error(`simulated GPUs: at most ${maxSimulatedGpus} GPUs, "${spec}" asks for more`);
    }
    for (let i = 0; i < count; i++) {
      const index = gpus.length;
      gpus.push({
        index,
        uuid: simulatedGpuUuid(nodeName, index),
        model,
        memoryBytes: knownGpuMemoryBytes(model),
      });
    }
  }
  return gpus;
}

function simulatedGpuUuid(nodeName: string, index: number): string {
  const hash = createHash("sha256").update(`${nodeName}\n${index}`).digest("hex");
  return `GPU-sim-${hash.slice(0, 8)}-${hash.slice(8, 12)}-${hash.slice(12, 16)}-${hash.slice(16, 20)}-${hash.slice(20, 32)}`;
}
