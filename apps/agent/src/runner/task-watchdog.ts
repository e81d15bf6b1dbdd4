import { spawn } from "node:child_process";

/** Options of startTaskWatchdog. */
export interface TaskWatchdogOptions {
  /** The task's process group. */
  groupId: number;
  /** Time between SIGTERM and SIGKILL; rounded up to whole seconds. */
  graceMs: number;
  /** PATH the watchdog finds `sleep` with. */
  path: string;
  /** Called when the watchdog cannot be started (the task then runs unwatched). */
  onError: (error: Error) => void;
}

/** A task's watchdog, while the task runs. */
export interface TaskWatchdog {
  /** The watchdog's process ID; undefined if it did not start. */
  readonly pid: number | undefined;
  /** Tells the watchdog the agent has seen the group end: it exits, signalling nothing. */
  release(): void;
}

/**
 * The watchdog's script, for `sh -c SCRIPT sherpa-task-watchdog GROUP GRACE_S`.
 * A line on standard input releases it; the end of its input without one means
 * that the agent, the only writer, is gone: it then stops the group, SIGTERM and
 * SIGKILL once the group outlives the grace period, and exits.
 */
const watchdogScript = [
  "read -r released && exit 0",
  'kill -s TERM -- "-$1" 2>/dev/null',
  "waited=0",
  'while [ "$waited" -lt "$2" ] && kill -s 0 -- "-$1" 2>/dev/null; do',
  "  sleep 1",
  "  waited=$((waited + 1))",
  "done",
  'kill -s KILL -- "-$1" 2>/dev/null',
  "exit 0",
].join("\n");

/**
 * Starts the watchdog of a task's process group: a small `sh` in its own
 * session, reading a pipe from the agent, so that the task's processes end
 * when the agent ends in any way (kill -9 included), instead of running on
 * with their GPUs after the server has given those to other tasks. The agent
 * releases it once it has seen the group end, never before: the group ID
 * cannot have been reused while the group exists.
 */
export function startTaskWatchdog(options: TaskWatchdogOptions): TaskWatchdog {
  const graceSeconds = String(Math.max(1, Math.ceil(options.graceMs / 1000)));
  // Its failures to start (EAGAIN, EMFILE: resources) come as "error", not thrown.
  const child = spawn(
    "/bin/sh",
    ["-c", watchdogScript, "sherpa-task-watchdog", String(options.groupId), graceSeconds],
    {
      // Its own session: a signal to the agent's process group (Ctrl-C) does not reach it.
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
      env: { PATH: options.path },
    },
  );
  child.once("error", options.onError);
  // Writing after the watchdog has gone (killed by someone) fails with EPIPE: nothing to do then.
  child.stdin.on("error", () => {});
  return {
    pid: child.pid,
    release() {
      child.stdin.end("released\n");
    },
  };
}
