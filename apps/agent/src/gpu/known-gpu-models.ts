/**
 * Total memory in MiB as nvidia-smi reports it (`memory.total`) for models a
 * simulated inventory commonly names. Sources: the recordings in ./fixtures and
 * public nvidia-smi outputs; a model missing here is simulated with 0 bytes.
 */
const memoryMibByModel: ReadonlyMap<string, number> = new Map(
  Object.entries({
    "NVIDIA H100 80GB HBM3": 81559,
    "NVIDIA H200": 143771,
    "NVIDIA A100-SXM4-80GB": 81920,
    "NVIDIA A100 80GB PCIe": 81920,
    "NVIDIA A100-SXM4-40GB": 40960,
    "NVIDIA A40": 46068,
    "NVIDIA L40S": 46068,
    "NVIDIA A10": 23028,
    "NVIDIA L4": 23034,
    "Tesla V100-SXM2-16GB": 16384,
    "Tesla T4": 15360,
    "NVIDIA GeForce RTX 4090": 24564,
  }).map(([model, mib]) => [model.toLowerCase(), mib]),
);

/** Total memory in bytes of a known GPU model (case-insensitive), or 0 when unknown. */
export function knownGpuMemoryBytes(model: string): bigint {
  const mib = memoryMibByModel.get(model.toLowerCase());
  return mib === undefined ? 0n : BigInt(mib) * 1024n * 1024n;
}
