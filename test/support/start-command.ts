import { spawn } from "node:child_process";
import type { RunResult } from "./run.js";

/** Options of {@link startCommand}. */
export interface StartCommandOptions {
  /** The command is killed after this long; 10 000 ms unless set. */
  timeoutMs?: number;
  /** The command's whole environment; the test's own unless set. */
  env?: NodeJS.ProcessEnv;
}

/** A command that is still running, with what it has printed so far. */
export interface StartedCommand {
  /** Everything printed on stdout so far. */
  stdout(): string;
  /** Everything printed on stderr so far. */
  stderr(): string;
  /**
   * Resolves once stdout, as printed so far, matches `pattern`; rejects if the
   * command exits first (the timeout kills it, so this rejects then too).
   */
  waitForStdout(pattern: RegExp): Promise<void>;
  /** Resolves with the output and exit status once the command has exited. */
  exited: Promise<RunResult>;
  /** Kills the command unless it has exited. */
  kill(): void;
}

/**
 * Starts a command without a shell and reads its output as it comes, unlike
 * `run`, which only has it once the command has exited: a test can act on a
 * line the command printed while the command is still running.
 */
export function startCommand(
  command: string,
  args: readonly string[],
  options: StartCommandOptions = {},
): StartedCommand {
  const child = spawn(command, args, { env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 10_000);
  let stdout = "";
  let stderr = "";
  const stdoutListeners = new Set<() => void>();
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    for (const listener of stdoutListeners) {
      listener();
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<RunResult>((resolve, reject) => {
    child.once("error", reject);
    // "close", not "exit": by then both pipes have been read to the end.
    child.once("close", (code) => {
      clearTimeout(timer);
      process.removeListener("exit", killOnExit);
      resolve({ stdout, stderr, exitCode: code });
    });
  });
  const waitForStdout = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(stdout)) {
          stdoutListeners.delete(check);
          resolve();
        }
      };
      stdoutListeners.add(check);
      check();
      exited.then(
        (result) => {
          stdoutListeners.delete(check);
          reject(
            new Error(
              `ended (exit status ${result.exitCode ?? "none: killed"}) before stdout matched ${pattern}; stdout: ${JSON.stringify(result.stdout)}; stderr: ${result.stderr}`,
            ),
          );
        },
        (error: unknown) => reject(error),
      );
    });
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    waitForStdout,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
      }
    },
  };
}
