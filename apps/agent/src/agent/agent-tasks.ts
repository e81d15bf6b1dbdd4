import { type TaskAssignment, type TaskCancellation, TaskState } from "@sherpa/proto";
import type { SherpaServiceClients } from "@sherpa/sdk";
import type { AgentLogger } from "../agent-logger.js";
import { runTask, type TaskHandle } from "../runner/run-task.js";
import { createLogUploader } from "./log-uploader.js";
import type { TaskStatusReportInit } from "./task-status-outbox.js";

/** Options of createAgentTasks. */
export interface AgentTasksOptions {
  clients: Pick<SherpaServiceClients, "agents">;
  nodeName: string;
  workDir: string;
  cancelGraceMs: number;
  baseEnv: Readonly<Record<string, string | undefined>> | undefined;
  logger: AgentLogger;
  /** Where RUNNING and final statuses go. */
  report: (status: TaskStatusReportInit) => void;
}

/** The tasks an agent is running. */
export interface AgentTasks {
  /** Starts an assigned task: RUNNING once spawned, its output uploaded, then its final status. */
  start(assignment: TaskAssignment): void;
  /** Cancels a task; an unknown one is reported CANCELLED so the server frees its GPUs. */
  cancel(cancellation: TaskCancellation): void;
  /** IDs of tasks whose final status has not been reported yet. */
  runningTaskIds(): string[];
  /** Refuses new tasks, cancels the running ones and waits until each has reported. */
  stopAll(reason: string): Promise<void>;
}

/** Creates the agent's task set. */
export function createAgentTasks(options: AgentTasksOptions): AgentTasks {
  const { clients, logger, report } = options;
  const running = new Map<string, { handle: TaskHandle; reported: Promise<void> }>();
  let stopping = false;

  const start = (assignment: TaskAssignment) => {
    const task = assignment.task;
    if (task === undefined) {
      logger.warn({}, "ignoring an assignment without a task");
      return;
    }
    const taskId = task.id;
    if (running.has(taskId)) {
      logger.warn({ taskId }, "ignoring a second assignment of a task that is running");
      return;
    }
    if (stopping) {
      report({ taskId, state: TaskState.FAILED, reason: "the node's agent is shutting down" });
      return;
    }
    const uploader = createLogUploader({
      taskId,
      logger,
      upload: (requests, signal) =>
        clients.agents.uploadTaskLogs(requests, { signal, timeoutMs: 0 }),
    });
    const handle = runTask({
      task,
      gpuIndices: assignment.gpuIndices,
      nodeName: options.nodeName,
      workDir: options.workDir,
      cancelGraceMs: options.cancelGraceMs,
      baseEnv: options.baseEnv,
      onOutputLine: uploader.push,
      onSpawn: (pid) => {
        logger.info({ taskId, pid, gpuIndices: assignment.gpuIndices }, "task started");
        report({ taskId, state: TaskState.RUNNING });
      },
    });
    const reported = handle.outcome.then(async (outcome) => {
      // Every line must be stored before the server hears that the task ended.
      await uploader.finish();
      running.delete(taskId);
      logger.info(
        {
          taskId,
          state: TaskState[outcome.state],
          exitCode: outcome.exitCode,
          reason: outcome.reason,
        },
        "task ended",
      );
      report({ taskId, state: outcome.state, exitCode: outcome.exitCode, reason: outcome.reason });
    });
    running.set(taskId, { handle, reported });
  };

  return {
    start,
    cancel({ taskId, reason }) {
      const task = running.get(taskId);
      if (task !== undefined) {
        logger.info({ taskId, reason }, "cancelling task");
        task.handle.cancel(reason);
        return;
      }
      logger.info({ taskId }, "cancellation of a task not running here: reporting it cancelled");
      report({ taskId, state: TaskState.CANCELLED, reason: reason === "" ? "cancelled" : reason });
    },
    runningTaskIds() {
      return [...running.keys()];
    },
    async stopAll(reason) {
      stopping = true;
      const tasks = [...running.values()];
      for (const task of tasks) {
        task.handle.cancel(reason);
      }
      await Promise.all(tasks.map((task) => task.reported));
    },
  };
}
