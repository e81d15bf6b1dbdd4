import type { GpuInfo } from "./gpu-info.js";

/** The `--query-gpu` fields parseNvidiaSmiCsv expects, in this order. */
export const nvidiaSmiQueryFields = [
  "index",
  "uuid",
  "name",
  "memory.total",
  "utilization.gpu",
  "memory.used",
] as const;

const mebibyte = 1024n * 1024n;

/**
 * Parses the output of
 * `nvidia-smi --query-gpu=index,uuid,name,memory.total,utilization.gpu,memory.used --format=csv,noheader,nounits`.
 * Memory is in MiB and becomes bytes; a measurement nvidia-smi cannot take
 * (`[N/A]`, `[Not Supported]`, ...) becomes undefined. Blank lines and spaces
 * around fields are ignored. Throws an Error naming the line for anything else.
 */
export function parseNvidiaSmiCsv(text: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  const lines = text.split("\n");
  for (const [number, rawLine] of lines.entries()) {
    const line = rawLine.trim();
    if (line === "") {
      continue;
    }
    try {
      gpus.push(parseLine(line));
    } catch (error) {
      throw new Error(
        `nvidia-smi output line ${number + 1} (${JSON.stringify(line)}): ${(error as Error).message}`,
      );
    }
  }
  return gpus;
}

function parseLine(line: string): GpuInfo {
  // Model names do not contain commas, so a plain split is exact here.
  const fields = line.split(",").map((field) => field.trim());
  if (fields.length !== nvidiaSmiQueryFields.length) {
    throw new Error(`expected ${nvidiaSmiQueryFields.length} fields, got ${fields.length}`);
  }
  const [index, uuid, name, memoryTotal, utilization, memoryUsed] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^\d+$/.test(index)) {
    throw new Error(`index must be a whole number, got "${index}"`);
  }
  if (uuid === "" || name === "") {
    throw new Error("uuid and name must not be empty");
  }
  const totalMib = measurement("memory.total", memoryTotal);
  const gpu: GpuInfo = {
    index: Number(index),
    uuid,
    model: name,
    memoryBytes: totalMib === undefined ? 0n : BigInt(totalMib) * mebibyte,
  };
  const utilizationPercent = measurement("utilization.gpu", utilization);
  if (utilizationPercent !== undefined) {
    gpu.utilizationPercent = utilizationPercent;
  }
  const usedMib = measurement("memory.used", memoryUsed);
  if (usedMib !== undefined) {
    gpu.memoryUsedBytes = BigInt(usedMib) * mebibyte;
  }
  return gpu;
}

/** A whole number, or undefined for nvidia-smi's bracketed "not available" values. */
function measurement(field: string, text: string): number | undefined {
  if (/^\[.*\]$/.test(text) || text === "N/A") {
    return undefined;
  }
  if (!/^\d+$/.test(text)) {
    throw new Error(`${field} must be a whole number or [N/A], got "${text}"`);
  }
  return Number(text);
}
