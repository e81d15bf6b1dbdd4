import type { Task } from "@sherpa/proto";
import { type CliIo, writeLine } from "../cli-io.js";
import { describeTaskState } from "../output/describe-task-state.js";
import { formatElapsed } from "../output/format-time.js";
import { isTaskEnded } from "../task-exit-code.js";

const spinnerFrames = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
const redrawIntervalMs = 100;
const clearLine = "\r\x1b[K";

/** Shows on stderr where a task is while the CLI waits for it to end. */
export interface WaitProgress {
  /** Records the task's latest state. */
  update(task: Task): void;
  /** Stops redrawing; on a terminal, leaves the final state on its own line when the task ended. */
  stop(): void;
}

/**
 * Creates the progress display of `--wait`: on a terminal, one line redrawn in
 * place ("⠋ task t-1 PENDING (waiting for GPUs) 3s"); otherwise one plain line
 * per change of state or reason, which reads well in CI logs.
 */
export function createWaitProgress(io: CliIo, now: () => number): WaitProgress {
  const startMs = now();
  let latest: Task | undefined;
  let frame = 0;
  const describe = (task: Task) => `task ${task.id} ${describeTaskState(task)}`;
  if (!io.isTTY) {
    return {
      update(task) {
        if (latest === undefined || describe(latest) !== describe(task)) {
          writeLine(io.stderr, describe(task));
        }
        latest = task;
      },
      stop() {},
    };
  }
  const redraw = () => {
    if (latest !== undefined) {
      const spinner = spinnerFrames[frame++ % spinnerFrames.length];
      io.stderr.write(
        `${clearLine}${spinner} ${describe(latest)} ${formatElapsed(now() - startMs)}`,
      );
    }
  };
  const timer = setInterval(redraw, redrawIntervalMs);
  // Never the reason the process stays alive; stop() is the owner's job.
  timer.unref();
  return {
    update(task) {
      latest = task;
      redraw();
    },
    stop() {
      clearInterval(timer);
      io.stderr.write(clearLine);
      if (latest !== undefined && isTaskEnded(latest)) {
        writeLine(io.stderr, `${describe(latest)} after ${formatElapsed(now() - startMs)}`);
      }
    },
  };
}
