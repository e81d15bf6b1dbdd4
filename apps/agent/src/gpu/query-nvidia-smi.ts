import { execFile } from "node:child_process";
import type { GpuInfo } from "./gpu-info.js";
import { nvidiaSmiQueryFields, parseNvidiaSmiCsv } from "./parse-nvidia-smi-csv.js";

/** Options of queryNvidiaSmi. */
export interface QueryNvidiaSmiOptions {
  /** The nvidia-smi program: a path, or a name looked up in PATH. */
  nvidiaSmi: string;
  /** nvidia-smi is killed after this long; a hung driver must not hang the agent. */
  timeoutMs: number;
}

/**
 * Runs nvidia-smi once and returns the GPUs with their current utilisation and
 * memory use. Rejects when nvidia-smi cannot be started (the error's `code` is
 * `ENOENT` when it is not installed), fails, or prints something unexpected.
 */
export function queryNvidiaSmi({
  nvidiaSmi,
  timeoutMs,
}: QueryNvidiaSmiOptions): Promise<GpuInfo[]> {
  const args = [`--query-gpu=${nvidiaSmiQueryFields.join(",")}`, "--format=csv,noheader,nounits"];
  return new Promise((resolve, reject) => {
    execFile(
      nvidiaSmi,
      args,
      { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error !== null) {
          reject(describeFailure(nvidiaSmi, timeoutMs, error, `${stderr}${stdout}`));
          return;
        }
        try {
          resolve(parseNvidiaSmiCsv(stdout));
        } catch (parseError) {
          reject(parseError);
        }
      },
    );
  });
}

/** An Error saying what went wrong in words, keeping the spawn error's `code` (ENOENT, ...). */
function describeFailure(
  nvidiaSmi: string,
  timeoutMs: number,
  error: Error & { code?: string | number | null; killed?: boolean },
  output: string,
): Error {
  const firstLine = output.trim().split("\n")[0] ?? "";
  let message: string;
  if (typeof error.code === "string") {
    message = `cannot run ${nvidiaSmi}: ${error.message}`;
  } else if (error.killed === true) {
    message = `${nvidiaSmi} did not answer within ${timeoutMs} ms`;
  } else {
    message = `${nvidiaSmi} exited with code ${error.code}${firstLine === "" ? "" : `: ${firstLine}`}`;
  }
  return Object.assign(new Error(message), { code: error.code });
}
