import { setTimeout as sleep } from "node:timers/promises";
import type { AgentLogger } from "../agent-logger.js";
import { signalProcessGroup } from "./process-group.js";
import { isStillTaskGroup, readTaskGroupRecords } from "./task-group-records.js";

/** Options of endLeftoverTaskGroups. */
export interface EndLeftoverTaskGroupsOptions {
  /** The agent's directory, where runTask records the groups of running tasks. */
  workDir: string;
  /** Time between SIGTERM and SIGKILL. */
  graceMs: number;
  logger: AgentLogger;
}

const pollIntervalMs = 50;
/** After SIGKILL, how long the groups have to be gone before the agent goes on anyway. */
const reapLimitMs = 5_000;

/**
 * Ends the process groups of tasks that an earlier agent with this work
 * directory left running (it was killed, and their watchdogs too): SIGTERM,
 * then SIGKILL to those that outlive the grace period. Only groups that still
 * are the tasks' are signalled (see isStillTaskGroup); every record is
 * removed. An agent does this before it registers, so that the server never
 * gives those tasks' GPUs to new tasks while they still run.
 */
export async function endLeftoverTaskGroups(options: EndLeftoverTaskGroupsOptions): Promise<void> {
  const records = readTaskGroupRecords(options.workDir);
  const left = records.filter(({ record }) => isStillTaskGroup(record));
  if (left.length > 0) {
    options.logger.warn(
      {
        taskIds: left.map(({ record }) => record.taskId),
        groupIds: left.map(({ record }) => record.groupId),
        cancelGraceMs: options.graceMs,
      },
      "ending the processes of tasks an earlier run of the agent left running",
    );
    for (const { record } of left) {
      signalProcessGroup(record.groupId, "SIGTERM");
    }
    const running = () => left.filter(({ record }) => isStillTaskGroup(record));
    await waitUntil(() => running().length === 0, options.graceMs);
    for (const { record } of running()) {
      signalProcessGroup(record.groupId, "SIGKILL");
    }
    await waitUntil(() => running().length === 0, reapLimitMs);
  }
  for (const { remove } of records) {
    remove();
  }
}

async function waitUntil(condition: () => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition() && Date.now() < deadline) {
    await sleep(pollIntervalMs);
  }
}
