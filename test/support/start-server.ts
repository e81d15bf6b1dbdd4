import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { repoRoot, serverMain } from "./repo-paths.js";

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /**
   * Directory of the server's database. Unless set, a fresh temporary one is
   * made and removed by `stop()`; a directory passed in is left for its owner.
   */
  dataDir?: string;
  /** How long to wait for the server to listen; 10 000 ms unless set. */
  startTimeoutMs?: number;
}

/** A running server process. */
export interface StartedServer {
  /** For example `http://127.0.0.1:40123`. */
  baseUrl: string;
  port: number;
  dataDir: string;
  /**
   * Sends SIGTERM and resolves with the exit status once the process has
   * exited (null if a signal ended it). Calling it again returns the same status.
   */
  stop(): Promise<number | null>;
}

const listeningPattern = /^Server listening at (http:\/\/\S+)$/;
const stopTimeoutMs = 10_000;

/**
 * Starts `apps/server/dist/main.js` as a child process on a free port of
 * 127.0.0.1 and resolves once it logs that it listens. Rejects, with the
 * server's stderr, if it exits or stays silent first.
 */
export async function startServer(options: StartServerOptions = {}): Promise<StartedServer> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "sherpa-test-")));
  const child = spawn(process.execPath, [serverMain], {
    cwd: repoRoot,
    env: {
      ...process.env,
      SHERPA_HOST: "127.0.0.1",
      SHERPA_PORT: "0",
      SHERPA_DATA_DIR: dataDir,
      SHERPA_LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // A test runner that dies mid-test must not leave a server behind.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      process.removeListener("exit", killOnExit);
      resolve(code);
    });
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });

  let stopped: Promise<number | null> | undefined;
  const stop = () => {
    stopped ??= stopProcess(child, exited).finally(async () => {
      if (ownsDataDir) {
        await rm(dataDir, { recursive: true, force: true });
      }
    });
    return stopped;
  };

  try {
    const baseUrl = await waitForListening(
      child,
      exited,
      options.startTimeoutMs ?? 10_000,
      () => stderr,
    );
    return { baseUrl, port: Number(new URL(baseUrl).port), dataDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function waitForListening(
  child: ChildProcess,
  exited: Promise<number | null>,
  timeoutMs: number,
  stderr: () => string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not listen within ${timeoutMs} ms; stderr:\n${stderr()}`)),
      timeoutMs,
    );
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with status ${code} before listening; stderr:\n${stderr()}`));
    });
    // The server logs one pino JSON object a line; the rest of its log is read and dropped.
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      const match = listeningPattern.exec(parseLogMessage(line));
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
}

function parseLogMessage(line: string): string {
  try {
    const entry: unknown = JSON.parse(line);
    return typeof entry === "object" && entry !== null && "msg" in entry ? String(entry.msg) : "";
  } catch {
    return "";
  }
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
