import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const mainPath = fileURLToPath(new URL("../main.ts", import.meta.url));

/**
 * Runs sherpa-agent from source with the given flags and only PATH and `env`
 * set; nvidia-smi is a program that does not exist unless `env` or a flag
 * names another, so the simulated inventory is served on any machine.
 */
export function startAgentProgram(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", mainPath, ...args], {
    env: { PATH: process.env.PATH, SHERPA_AGENT_NVIDIA_SMI: "/nonexistent/nvidia-smi", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    /** The `msg` of every JSON line written to stdout so far. */
    messages: () =>
      stdout
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => (JSON.parse(line) as { msg: string }).msg),
  };
}
