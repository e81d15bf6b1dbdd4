import { readdirSync, readFileSync } from "node:fs";

/** What /proc/<pid>/stat tells of a process that tells one it is itself. */
export interface ProcessIdentity {
  /** Its process group. */
  groupId: number;
  /** When it started, in clock ticks after boot: with the PID, names one process for good. */
  startTime: string;
}

/**
 * The process group and start time of a live process, from /proc/<pid>/stat
 * (Linux); undefined for a process that is gone, a zombie, or where there is
 * no /proc.
 */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // After "pid (command name)", which may hold spaces: state is field 3, the group 5, start time 22.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const [state, , groupId] = fields;
  const startTime = fields[19];
  if (state === undefined || state === "Z" || groupId === undefined || startTime === undefined) {
    return undefined;
  }
  return { groupId: Number(groupId), startTime };
}

/** PIDs of the live processes (zombies left out) of a process group, from /proc; none without it. */
export function liveGroupMembers(groupId: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  return entries
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => processIdentity(pid)?.groupId === groupId);
}

/**
 * Whether a live process of the group has `variable` (`NAME=value`) in its
 * environment, as /proc/<pid>/environ gives it (the environment it started
 * with; readable for the agent's own user's processes).
 */
export function groupHasEnvironmentVariable(groupId: number, variable: string): boolean {
  return liveGroupMembers(groupId).some((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(variable);
    } catch {
      return false;
    }
  });
}
