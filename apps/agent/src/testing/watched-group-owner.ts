/**
 * Stands in for an agent in task-watchdog.spec.ts: starts a process group
 * running `sh -c SCRIPT` (argv[2]) and its watchdog with a grace period of
 * argv[3] ms, prints the group ID, then waits to be killed.
 */
import { spawn } from "node:child_process";
import { startTaskWatchdog } from "../runner/task-watchdog.js";

const [script = "", graceMs = "1000"] = process.argv.slice(2);
const group = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
const groupId = group.pid ?? 0;
startTaskWatchdog({
  groupId,
  graceMs: Number(graceMs),
  path: process.env.PATH ?? "/usr/bin:/bin",
  onError: (error) => {
    throw error;
  },
});
process.stdout.write(`${groupId}\n`);
setInterval(() => {}, 60_000);
