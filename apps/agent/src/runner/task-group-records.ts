import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { groupHasEnvironmentVariable, processIdentity } from "./process-identity.js";

/** A running task's process group, as recorded in `<workDir>/task-groups/<task id>.json`. */
export interface TaskGroupRecord {
  taskId: string;
  /** The group's ID, which is its leader's PID. */
  groupId: number;
  /** The leader's start time (see processIdentity). */
  startTime: string;
}

function recordsDir(workDir: string): string {
  return join(workDir, "task-groups");
}

/**
 * Records the process group of a task, led by `groupId`, so that an agent
 * started after this one died can end what is left of it (see
 * endLeftoverTaskGroups). Returns the function that removes the record once
 * the group has ended. Best effort: where there is no /proc, or the record
 * cannot be written, there is none, and only the task's watchdog is left.
 */
export function recordTaskGroup(workDir: string, taskId: string, groupId: number): () => void {
  const leader = processIdentity(groupId);
  if (leader === undefined) {
    return () => {};
  }
  const record: TaskGroupRecord = { taskId, groupId, startTime: leader.startTime };
  const path = join(recordsDir(workDir), `${taskId}.json`);
  try {
    mkdirSync(recordsDir(workDir), { recursive: true });
    writeFileSync(path, JSON.stringify(record));
  } catch {
    return () => {};
  }
  return () => removeRecord(path);
}

/** The records a previous agent left in `workDir`, with the function that removes each. */
export function readTaskGroupRecords(
  workDir: string,
): { record: TaskGroupRecord; remove: () => void }[] {
  let names: string[];
  try {
    names = readdirSync(recordsDir(workDir)).filter((name) => name.endsWith(".json"));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(recordsDir(workDir), name);
    try {
      const record = JSON.parse(readFileSync(path, "utf8")) as TaskGroupRecord;
      if (Number.isInteger(record.groupId) && record.groupId > 1) {
        return [{ record, remove: () => removeRecord(path) }];
      }
    } catch {}
    removeRecord(path);
    return [];
  });
}

/**
 * Whether the recorded group still is the task's: its leader is the recorded
 * process (same PID and start time), or, the leader gone, one of its members
 * has the task's SHERPA_TASK_ID. A group ID the kernel has given to other
 * processes since does not count: while a group has members, its ID is not
 * given to anyone else, so a leader with another start time means the task's
 * group is gone.
 */
export function isStillTaskGroup(record: TaskGroupRecord): boolean {
  const leader = processIdentity(record.groupId);
  if (leader !== undefined) {
    return leader.startTime === record.startTime && leader.groupId === record.groupId;
  }
  return groupHasEnvironmentVariable(record.groupId, `SHERPA_TASK_ID=${record.taskId}`);
}

function removeRecord(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {}
}
