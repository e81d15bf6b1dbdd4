import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import os from "node:os";
import { promisify } from "node:util";

const run = promisify(execFile);

/** What the results were measured on. */
export interface MachineInfo {
  /** CPUs this process may use, as `nproc` counts them. */
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine. */
  loadAverage: string;
  kernel: string;
  node: string;
  h2load: string;
  date: string;
}

/** Describes this machine from /proc/cpuinfo, `os` and h2load's version. */
export async function describeMachine(h2load: string): Promise<MachineInfo> {
  const cpuinfo = await readFile("/proc/cpuinfo", "utf8").catch(() => "");
  const h2loadVersion = await run(h2load, ["--version"]).then(
    ({ stdout }) => stdout.trim(),
    () => "unknown",
  );
  return {
    cpus: os.availableParallelism(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(", "),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    h2load: h2loadVersion,
    date: new Date().toISOString(),
  };
}

/** The machine as markdown list items. */
export function formatMachine(machine: MachineInfo): string {
  return [
    `- CPUs (nproc): ${machine.cpus}, ${machine.cpuModel}`,
    `- Memory: ${machine.memoryGiB} GiB`,
    `- Load average at start: ${machine.loadAverage}`,
    `- Kernel: ${machine.kernel}`,
    `- Node.js: ${machine.node}`,
    `- Load generator: ${machine.h2load}`,
    `- Date: ${machine.date}`,
  ].join("\n");
}
