import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
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
  /**
   * Environment variables (`SHERPA_*` settings) set on top of the defaults used
   * here. The embedded agent is off unless SHERPA_EMBEDDED_AGENT says otherwise,
   * so that tasks stay PENDING where a test does not ask for execution.
   */
  env?: Record<string, string>;
}

/** One line the server logged: a pino JSON object. */
export type LogLine = Record<string, unknown>;

/** A running server process. */
export interface StartedServer {
  /**
   * For example `http://127.0.0.1:40123`, or `https://localhost:40123` when
   * SHERPA_TLS_CERT is set (the development certificates name localhost).
   */
  baseUrl: string;
  port: number;
  dataDir: string;
  /** The process id of the server. */
  pid: number;
  /** The admin token the server wrote to `<dataDir>/admin-token` at first start. */
  adminToken: string;
  /** `{ authorization: "Bearer <adminToken>" }`, for clients' headers. */
  adminHeaders: Record<string, string>;
  /** Every JSON line the server has written to stdout so far, oldest first. */
  logLines(): LogLine[];
  /** Everything the server has written to stderr so far, for failure messages. */
  stderr(): string;
  /**
   * Resolves with the first logged line, past or future, that `matches`;
   * rejects after `timeoutMs` (5 000 unless set) or when the server exits first.
   */
  waitForLogLine(matches: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends a signal to the server, for example SIGTERM to make it drain. */
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the exit status once the process has exited (null if a signal ended it). */
  exited: Promise<number | null>;
  /**
   * Sends SIGTERM, unless a signal was already sent, and resolves with the exit
   * status once the process has exited; kills it after 10 s. Calling it again
   * returns the same status.
   */
  stop(): Promise<number | null>;
}

const listeningPattern = /^Server listening at https?:\/\/(\S+):(\d+)$/;
const stopTimeoutMs = 10_000;

/**
 * Starts `apps/server/dist/main.js` as a child process on a free port of
 * 127.0.0.1 and resolves once it logs that it listens. Rejects, with the
 * server's stderr, if it exits or stays silent first.
 */
export async function startServer(options: StartServerOptions = {}): Promise<StartedServer> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "sherpa-test-")));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SHERPA_HOST: "127.0.0.1",
    SHERPA_PORT: "0",
    SHERPA_DATA_DIR: dataDir,
    SHERPA_LOG_LEVEL: "info",
    SHERPA_EMBEDDED_AGENT: "false",
    // Tests see the simulated inventory even on a machine with real GPUs.
    SHERPA_AGENT_NVIDIA_SMI: "sherpa-test-has-no-nvidia-smi",
    // Tests never touch the user's own CLI profile.
    SHERPA_CLI_PROFILE: "none",
    ...options.env,
  };
  const child = spawn(process.execPath, [serverMain], {
    cwd: repoRoot,
    env,
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
  const log = collectLogLines(child);

  let signalled = false;
  const kill = (signal: NodeJS.Signals) => {
    signalled = true;
    child.kill(signal);
  };
  let stopped: Promise<number | null> | undefined;
  const stop = () => {
    stopped ??= stopProcess(child, exited, signalled).finally(async () => {
      if (ownsDataDir) {
        await rm(dataDir, { recursive: true, force: true });
      }
    });
    return stopped;
  };

  try {
    const listening = await log.waitFor(
      (line) => listeningPattern.test(String(line.msg)),
      options.startTimeoutMs ?? 10_000,
    );
    const [, host, portText] = listeningPattern.exec(String(listening.msg)) ?? [];
    const port = Number(portText);
    // The scheme follows the configuration; the certificates of scripts/dev-certs.sh name localhost.
    const baseUrl =
      env.SHERPA_TLS_CERT === undefined || env.SHERPA_TLS_CERT === ""
        ? `http://${host}:${port}`
        : `https://localhost:${port}`;
    const adminToken = (
      await readFile(env.SHERPA_ADMIN_TOKEN_FILE || join(dataDir, "admin-token"), "utf8")
    ).trim();
    return {
      baseUrl,
      port,
      dataDir,
      pid: child.pid ?? 0,
      adminToken,
      adminHeaders: { authorization: `Bearer ${adminToken}` },
      logLines: () => [...log.lines],
      stderr: () => stderr,
      waitForLogLine: (matches, timeoutMs = 5000) => log.waitFor(matches, timeoutMs),
      kill,
      exited,
      stop,
    };
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}; stderr:\n${stderr}`);
  }
}

/** Reads the server's stdout, one pino JSON object a line; other lines are dropped. */
function collectLogLines(child: ChildProcess) {
  const lines: LogLine[] = [];
  const waiters = new Set<(line: LogLine | undefined) => void>();
  let ended = false;
  const reader = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  reader.on("line", (text) => {
    const line = parseLogLine(text);
    if (line !== undefined) {
      lines.push(line);
      for (const waiter of waiters) {
        waiter(line);
      }
    }
  });
  reader.once("close", () => {
    ended = true;
    for (const waiter of waiters) {
      waiter(undefined);
    }
  });
  const waitFor = (matches: (line: LogLine) => boolean, timeoutMs: number) =>
    new Promise<LogLine>((resolve, reject) => {
      const found = lines.find(matches);
      if (found !== undefined) {
        resolve(found);
        return;
      }
      if (ended) {
        reject(new Error("no matching log line: the server's output has ended"));
        return;
      }
      const waiter = (line: LogLine | undefined) => {
        if (line === undefined) {
          stopWaiting();
          reject(new Error("no matching log line before the server's output ended"));
        } else if (matches(line)) {
          stopWaiting();
          resolve(line);
        }
      };
      const timer = setTimeout(() => {
        stopWaiting();
        reject(new Error(`no matching log line within ${timeoutMs} ms`));
      }, timeoutMs);
      const stopWaiting = () => {
        clearTimeout(timer);
        waiters.delete(waiter);
      };
      waiters.add(waiter);
    });
  return { lines, waitFor };
}

function parseLogLine(text: string): LogLine | undefined {
  try {
    const entry: unknown = JSON.parse(text);
    return typeof entry === "object" && entry !== null ? (entry as LogLine) : undefined;
  } catch {
    return undefined;
  }
}

async function stopProcess(
  child: ChildProcess,
  exited: Promise<number | null>,
  signalled: boolean,
): Promise<number | null> {
  // A second SIGTERM makes the server exit at once, so one already sent is not repeated.
  if (!signalled && child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
  }
  const timer = setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
