import type { TaskEventHub } from "../events/task-event-hub.js";
import type { TaskExecutionStore } from "../storage/task-execution-store.js";
import type { Scheduler } from "./scheduler.js";

/** What the liveness monitor needs. */
export interface NodeLivenessMonitorDeps {
  execution: TaskExecutionStore;
  events: TaskEventHub;
  scheduler: Scheduler;
  now: () => Date;
  logger: {
    warn(details: object, message: string): void;
    error(details: object, message: string): void;
  };
  /** How often to look for nodes that stopped heartbeating. */
  intervalMs: number;
}

/** Fails the tasks of lost nodes; owns its timer. */
export interface NodeLivenessMonitor {
  start(): void;
  stop(): Promise<void>;
}

/**
 * Creates the monitor that turns silence into state: a node whose heartbeats
 * stopped is OFFLINE (derived from its last heartbeat), and its running tasks
 * become FAILED with the reason "node lost", freeing their GPUs. This also
 * covers a server restart: tasks of nodes that do not come back are failed.
 */
export function createNodeLivenessMonitor(deps: NodeLivenessMonitorDeps): NodeLivenessMonitor {
  let timer: NodeJS.Timeout | undefined;
  let checking: Promise<void> | undefined;

  async function check() {
    try {
      const failed = await deps.execution.failTasksOfLostNodes(deps.now());
      for (const task of failed) {
        deps.logger.warn({ taskId: task.id, node: task.nodeName }, "task failed: node lost");
        deps.events.publishTask(task);
      }
      if (failed.length > 0) {
        deps.scheduler.requestScheduling();
      }
    } catch (error) {
      deps.logger.error({ err: error }, "node liveness check failed");
    }
  }

  return {
    start() {
      timer = setInterval(() => {
        checking ??= check().finally(() => {
          checking = undefined;
        });
      }, deps.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await checking;
    },
  };
}
