import { type ChildProcessByStdio, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { TaskState } from "@sherpa/proto";
import { waitAtMost } from "../wait-at-most.js";
import { createProcessGroupTerminator } from "./process-group.js";
import { readOutputLines } from "./read-output-lines.js";
import { taskEnvironment } from "./task-environment.js";
import { recordTaskGroup } from "./task-group-records.js";
import { describeExit, type TaskOutcome } from "./task-outcome.js";
import { type DurationLike, startTaskTimeout } from "./task-timeout.js";
import { startTaskWatchdog } from "./task-watchdog.js";

/** Where a line of output was written. */
export type OutputStreamName = "stdout" | "stderr";

/** The parts of a task the runner needs; a sherpa.v1.Task fits. */
export interface RunnableTask {
  /** The task's ID; also the name of its working directory. */
  id: string;
  /** The task's name, passed as SHERPA_TASK_NAME; empty unless set. */
  name?: string;
  /** The task's queue, passed as SHERPA_TASK_QUEUE; empty unless set. */
  queue?: string;
  /** The program and its arguments, run without a shell. */
  argv: readonly string[];
  /** The environment its submitter gave the task, added to the base environment. */
  env?: Readonly<Record<string, string>>;
  /** Longest the task may run; none when unset or zero. */
  timeout?: DurationLike | undefined;
}

/** Options of runTask. */
export interface RunTaskOptions {
  task: RunnableTask;
  /** GPUs given to the task, passed as CUDA_VISIBLE_DEVICES. */
  gpuIndices: readonly number[];
  /** The node the task runs on, passed as SHERPA_NODE_NAME. */
  nodeName: string;
  /** The agent's directory; the task runs in `<workDir>/tasks/<task id>`. */
  workDir: string;
  /** Time between SIGTERM and SIGKILL when the task is cancelled or times out. */
  cancelGraceMs: number;
  /**
   * Called with each line of output, in order per stream. Returning a promise
   * pauses reading that stream until it settles, which in the end pauses the task.
   */
  onOutputLine?: (stream: OutputStreamName, text: string) => void | Promise<void>;
  /** Called once the process has started. */
  onSpawn?: (pid: number) => void;
  /**
   * The agent's environment, of which the task gets only the base variables
   * (PATH, HOME, ...: see taskBaseVariables); none unless set.
   */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Longer lines are cut into pieces of this many bytes; 64 KiB unless set. */
  maxLineBytes?: number;
}

/** A running task. */
export interface TaskHandle {
  /** The process ID (also its process group ID); undefined if it did not start. */
  readonly pid: number | undefined;
  /** Stops the task (SIGTERM, SIGKILL after the grace period); it ends CANCELLED with `reason`. */
  cancel(reason: string): void;
  /** Settles once the process has exited and its output has been read to the end. */
  readonly outcome: Promise<TaskOutcome>;
}

/** After the group is gone, output still open (a process that left the group) is cut after this. */
const outputDrainLimitMs = 10_000;
/** Time for init to reap the group's orphans after SIGKILL. */
const reapLimitMs = 5_000;
/** Where the task watchdog looks for `sleep` when the agent's environment has no PATH. */
const defaultWatchdogPath = "/usr/bin:/bin";

/**
 * Runs a task's command as its own process group in `<workDir>/tasks/<id>`,
 * in its own environment (see taskEnvironment: nothing of the agent's but the
 * base variables, CUDA_VISIBLE_DEVICES set to its GPUs), and reports its output
 * line by line. A watchdog process (see startTaskWatchdog) stops the group
 * should the agent die first, and a record of the group in
 * `<workDir>/task-groups` lets the next agent end it should the watchdog die
 * too. Never throws: a task that cannot start ends FAILED.
 */
export function runTask(options: RunTaskOptions): TaskHandle {
  const { task } = options;
  const [program, ...args] = task.argv;
  if (program === undefined || program === "") {
    return notStarted("task has no command (argv is empty)");
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(task.id)) {
    return notStarted(`task ID ${JSON.stringify(task.id)} cannot name a working directory`);
  }
  const cwd = join(options.workDir, "tasks", task.id);
  try {
    mkdirSync(cwd, { recursive: true });
  } catch (error) {
    return notStarted(`cannot create working directory ${cwd}: ${(error as Error).message}`);
  }
  let child: ChildProcessByStdio<null, Readable, Readable>;
  try {
    child = spawn(program, args, {
      cwd,
      env: taskEnvironment({
        agentEnv: options.baseEnv ?? {},
        task,
        gpuIndices: options.gpuIndices,
        nodeName: options.nodeName,
      }),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    // Node throws some spawn failures (E2BIG: argv and env too long for the
    // kernel; a NUL byte in an argument) instead of emitting them as "error".
    return notStarted(`cannot start ${program}: ${(error as Error).message}`);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null } | Error>(
    (resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
      child.once("error", (error) => resolve(error));
    },
  );
  child.once("spawn", () => options.onSpawn?.(child.pid as number));
  const maxLineBytes = options.maxLineBytes ?? 64 * 1024;
  const reading = Promise.all([
    readOutputLines(child.stdout, "stdout", maxLineBytes, options.onOutputLine),
    readOutputLines(child.stderr, "stderr", maxLineBytes, options.onOutputLine),
  ]);
  if (child.pid === undefined) {
    return {
      pid: undefined,
      cancel() {},
      outcome: exited.then(async (exit) => {
        await reading;
        const reason = exit instanceof Error ? exit.message : "unknown error";
        return { state: TaskState.FAILED, reason: `cannot start ${program}: ${reason}` };
      }),
    };
  }

  const pid = child.pid;
  const terminator = createProcessGroupTerminator(pid, options.cancelGraceMs);
  let ending: { state: TaskState; reason: string } | undefined;
  const stop = (state: TaskState, reason: string) => {
    if (ending === undefined && child.exitCode === null && child.signalCode === null) {
      ending = { state, reason };
      terminator.terminate();
    }
  };
  const cancelTimeout = startTaskTimeout(task.timeout, (reason) =>
    stop(TaskState.TIMED_OUT, reason),
  );
  // Should the agent die, nothing else would stop the group: its watchdog does.
  const watchdog = startTaskWatchdog({
    groupId: pid,
    graceMs: options.cancelGraceMs,
    path: options.baseEnv?.PATH ?? defaultWatchdogPath,
    onError: (error) =>
      stop(TaskState.FAILED, `cannot watch the task's processes: ${error.message}`),
  });
  // And should the watchdog die with it, the next agent ends what is left (endLeftoverTaskGroups).
  const forgetGroup = recordTaskGroup(options.workDir, task.id, pid);

  const outcome = (async (): Promise<TaskOutcome> => {
    const exit = await exited;
    cancelTimeout();
    // Whether the main process exited by itself or was stopped, nothing of the task's
    // process group may outlive it: leftovers get SIGTERM now and SIGKILL after the grace.
    terminator.terminate();
    await terminator.waitUntilGone(options.cancelGraceMs + reapLimitMs);
    terminator.dispose();
    watchdog.release();
    forgetGroup();
    if (!(await waitAtMost(reading, outputDrainLimitMs))) {
      child.stdout?.destroy();
      child.stderr?.destroy();
      await reading;
    }
    if (exit instanceof Error) {
      return { state: TaskState.FAILED, reason: `task process failed: ${exit.message}` };
    }
    return describeExit(exit, ending, terminator.killed, options.cancelGraceMs);
  })();

  return {
    pid,
    cancel(reason) {
      stop(TaskState.CANCELLED, reason === "" ? "cancelled" : reason);
    },
    outcome,
  };
}

function notStarted(reason: string): TaskHandle {
  return {
    pid: undefined,
    cancel() {},
    outcome: Promise.resolve({ state: TaskState.FAILED, reason }),
  };
}
