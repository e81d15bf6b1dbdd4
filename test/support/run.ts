import { execFile } from "node:child_process";

/** What a finished command printed and how it exited. */
export interface RunResult {
  stdout: string;
  stderr: string;
  /** The exit status; null when a signal ended the command. */
  exitCode: number | null;
}

/** Options of {@link run}. */
export interface RunOptions {
  /** Working directory; the test's own unless set. */
  cwd?: string;
  /** The command is killed after this long; 10 000 ms unless set. */
  timeoutMs?: number;
  /** Written to the command's standard input, which is then closed. */
  input?: string;
  /** Most bytes of stdout (and of stderr) kept; 1 MiB unless set. */
  maxBufferBytes?: number;
  /** The command's whole environment; the test's own unless set. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a command without a shell and resolves with its output, whatever its
 * exit status, so that a test can assert on a failure as well as a success.
 * Rejects only when the command cannot be started at all.
 */
export function run(command: string, args: readonly string[], options: RunOptions = {}) {
  return new Promise<RunResult>((resolve, reject) => {
    const child = execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env,
        timeout: options.timeoutMs ?? 10_000,
        maxBuffer: options.maxBufferBytes ?? 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ stdout, stderr, exitCode: 0 });
        } else if (typeof error.code === "number") {
          resolve({ stdout, stderr, exitCode: error.code });
        } else if (error.signal) {
          resolve({ stdout, stderr, exitCode: null });
        } else {
          reject(error);
        }
      },
    );
    if (options.input !== undefined) {
      child.stdin?.end(options.input);
    }
  });
}
