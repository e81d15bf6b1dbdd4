import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentMain, repoRoot } from "./repo-paths.js";

/** Options of {@link startAgent}. */
export interface StartAgentOptions {
  /** The server's base URL, for example `http://127.0.0.1:40123`. */
  serverUrl: string;
  /** The node the agent registers as. */
  nodeName: string;
  /**
   * Simulated GPUs, for example `2xNVIDIA A100-SXM4-80GB`. They are used even on
   * a machine with real GPUs, so that a test sees the same fleet everywhere.
   */
  gpus: string;
  /** Labels of the node. */
  labels?: Record<string, string>;
  /**
   * The join token the agent enrolls its node with (see `createJoinToken`).
   * Unless set, the agent starts without one, so it cannot enroll.
   */
  joinToken?: string;
  /** Environment variables (`SHERPA_*` settings) set on top of the test's own. */
  env?: Record<string, string>;
}

/** A running `sherpa-agent` process. */
export interface StartedAgent {
  nodeName: string;
  /** The process id of the agent. */
  pid: number;
  /** The agent's work directory, a fresh temporary one that `stop()` removes. */
  workDir: string;
  /** Where the agent keeps its node credential once enrolled: `<workDir>/state`. */
  stateDir: string;
  /** Everything the agent wrote to stdout and stderr so far, for failure messages. */
  output(): string;
  /** Sends a signal to the agent, for example SIGKILL to lose the node. */
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the exit status once the process has exited (null if a signal ended it). */
  exited: Promise<number | null>;
  /**
   * Sends SIGTERM unless the agent has exited, kills it after 10 s, removes its
   * work directory and resolves with the exit status. Calling it again returns
   * the same status.
   */
  stop(): Promise<number | null>;
}

const stopTimeoutMs = 10_000;
const missingNvidiaSmi = "sherpa-test-no-nvidia-smi";

/**
 * Starts `apps/agent/dist/main.js` as a child process with a fresh work
 * directory. It resolves once the process is spawned; the node is READY only
 * after the agent has registered, which the caller waits for through the API.
 */
export async function startAgent(options: StartAgentOptions): Promise<StartedAgent> {
  const workDir = await mkdtemp(join(tmpdir(), "sherpa-agent-"));
  const stateDir = join(workDir, "state");
  const labels = Object.entries(options.labels ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
  const child = spawn(
    process.execPath,
    [
      agentMain,
      "--server",
      options.serverUrl,
      "--node-name",
      options.nodeName,
      "--gpus",
      options.gpus,
      "--work-dir",
      workDir,
      "--state-dir",
      stateDir,
      // A program that does not exist: the agent then serves the simulated GPUs.
      "--nvidia-smi",
      missingNvidiaSmi,
      ...(labels === "" ? [] : ["--labels", labels]),
      ...(options.joinToken === undefined ? [] : ["--join-token", options.joinToken]),
    ],
    { cwd: repoRoot, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  // A test runner that dies mid-test must not leave an agent behind.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      process.removeListener("exit", killOnExit);
      resolve(code);
    });
  });
  let output = "";
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
  }
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", reject);
  });

  let stopped: Promise<number | null> | undefined;
  return {
    nodeName: options.nodeName,
    pid: child.pid ?? 0,
    workDir,
    stateDir,
    output: () => output,
    kill: (signal) => child.kill(signal),
    exited,
    stop() {
      stopped ??= stopProcess(child, exited).finally(() =>
        rm(workDir, { recursive: true, force: true }),
      );
      return stopped;
    },
  };
}

async function stopProcess(
  child: ChildProcess,
  exited: Promise<number | null>,
): Promise<number | null> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
  }
  const timer = setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
