import type { AgentSessions } from "../agents/agent-sessions.js";
import type { TaskEventHub } from "../events/task-event-hub.js";
import type { TaskExecutionStore } from "../storage/task-execution-store.js";

/** What the scheduler needs. */
export interface SchedulerDeps {
  execution: TaskExecutionStore;
  sessions: AgentSessions;
  events: TaskEventHub;
  now: () => Date;
  logger: { error(details: object, message: string): void };
  /** A pass also runs this often, as a safety net for missed triggers. */
  intervalMs: number;
}

/** Places pending tasks on GPUs; owns its timer. */
export interface Scheduler {
  /** Asks for a pass soon: after a submit, a task's end, a node or queue change. */
  requestScheduling(): void;
  /** Starts the periodic pass. */
  start(): void;
  /** Stops the timer and waits for a running pass. */
  stop(): Promise<void>;
}

/**
 * Creates the scheduler. Passes run one at a time; requests that arrive during
 * a pass coalesce into one more pass right after it, so reacting to events is
 * fast without running a pass per event.
 */
export function createScheduler(deps: SchedulerDeps): Scheduler {
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function runPasses() {
    do {
      again = false;
      try {
        const started = await deps.execution.scheduleNextTasks(
          deps.sessions.connectedNodes(),
          deps.now(),
        );
        for (const { task, gpuIndices } of started) {
          deps.events.publishTask(task);
          deps.sessions.send(task.nodeName, { kind: "assign", task, gpuIndices });
        }
      } catch (error) {
        deps.logger.error({ err: error }, "scheduling pass failed");
      }
    } while (again && !stopped);
  }

  function requestScheduling() {
    if (stopped) {
      return;
    }
    if (running !== undefined) {
      again = true;
      return;
    }
    running = runPasses().finally(() => {
      running = undefined;
    });
  }

  return {
    requestScheduling,
    start() {
      timer = setInterval(requestScheduling, deps.intervalMs);
      timer.unref();
      requestScheduling();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
