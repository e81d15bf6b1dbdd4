import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";

/** A child process this run started and must end. */
export interface OwnedProcess {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit status once it has exited (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Sends SIGTERM, then SIGKILL after 15 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/** Options of {@link spawnOwned}. */
export interface SpawnOwnedOptions {
  env?: NodeJS.ProcessEnv;
  /** File that gets stderr, and stdout unless `pipeStdout`; appended to. */
  logFile: string;
  /** Hand stdout to the caller (`child.stdout`) instead of the log file. */
  pipeStdout?: boolean;
}

const killAfterMs = 15_000;

/**
 * Starts a process whose output goes to a file, so that writing it costs what
 * it costs in production rather than a pipe read by this process. A benchmark
 * that dies midway kills what it started.
 */
export function spawnOwned(
  command: string,
  args: string[],
  options: SpawnOwnedOptions,
): OwnedProcess {
  const log = openSync(options.logFile, "a");
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    stdio: ["ignore", options.pipeStdout === true ? "pipe" : log, log],
  });
  closeSync(log);
  if (child.pid === undefined) {
    throw new Error(`${command} did not start`);
  }
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      process.removeListener("exit", killOnExit);
      resolve(code);
    });
  });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
      }
      const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
      await exited;
      clearTimeout(timer);
    })();
    return stopped;
  };
  return { child, pid: child.pid, exited, stop };
}
