/** One GPU of this node, as nvidia-smi reports it or as the simulation describes it. */
export interface GpuInfo {
  /** Index as CUDA_VISIBLE_DEVICES uses it. */
  index: number;
  /** `GPU-...` UUID; simulated GPUs get a stable fake one. */
  uuid: string;
  /** Model name, for example "NVIDIA H100 80GB HBM3". */
  model: string;
  /** Total memory in bytes; 0 when unknown. */
  memoryBytes: bigint;
  /** Utilisation in percent, when measured. */
  utilizationPercent?: number;
  /** Memory in use in bytes, when measured. */
  memoryUsedBytes?: bigint;
}

/** The GPUs an agent serves and how it knows them. */
export interface GpuInventory {
  /** The GPUs, ordered by index; empty on a CPU-only node. */
  gpus: GpuInfo[];
  /** True when the GPUs are a configured simulation rather than found by nvidia-smi. */
  simulated: boolean;
  /** Measures the real GPUs again (for heartbeats); absent for simulated or no GPUs. */
  measureGpus?: () => Promise<GpuInfo[]>;
}
