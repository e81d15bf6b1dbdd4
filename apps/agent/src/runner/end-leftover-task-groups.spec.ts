import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, beforeEach, describe, it } from "node:test";
import { waitFor } from "@sherpa/kit/testing";
import { createRecordingLogger } from "../testing/create-recording-logger.js";
import { endLeftoverTaskGroups } from "./end-leftover-task-groups.js";
import { signalProcessGroup } from "./process-group.js";
import {
  groupHasEnvironmentVariable,
  liveGroupMembers,
  processIdentity,
} from "./process-identity.js";
import { recordTaskGroup } from "./task-group-records.js";

const graceMs = 300;

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

describe("endLeftoverTaskGroups", () => {
  let workDir: string;
  const groups: number[] = [];

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), "sherpa-leftovers-"));
  });
  after(async () => {
    for (const groupId of groups) {
      signalProcessGroup(groupId, "SIGKILL");
    }
  });

  /** Starts `sh -c script` as its own process group with SHERPA_TASK_ID set; resolves once it runs `sleep`. */
  async function startGroup(script: string, taskId: string): Promise<number> {
    const child = spawn("sh", ["-c", script], {
      detached: true,
      stdio: "ignore",
      env: { PATH: process.env.PATH, SHERPA_TASK_ID: taskId },
    });
    const groupId = child.pid ?? 0;
    groups.push(groupId);
    await waitFor("the group to run sleep", () =>
      liveGroupMembers(groupId).some((pid) => commandOf(pid) === "sleep"),
    );
    return groupId;
  }

  /** Writes a record as an earlier agent would have, with the start time given. */
  async function writeRecord(taskId: string, groupId: number, startTime: string) {
    await mkdir(join(workDir, "task-groups"), { recursive: true });
    await writeFile(
      join(workDir, "task-groups", `${taskId}.json`),
      JSON.stringify({ taskId, groupId, startTime }),
    );
  }

  it("ends a recorded group that still is the task's, SIGKILL after the grace, and removes every record", async () => {
    const stubborn = await startGroup("trap '' TERM; exec sleep 31", "t-stubborn");
    recordTaskGroup(workDir, "t-stubborn", stubborn);
    // A group ID the kernel has given to another process since: its start time differs.
    const stranger = await startGroup("exec sleep 32", "t-stranger");
    await writeRecord("t-reused", stranger, "1");

    const logger = createRecordingLogger();
    const startedAt = Date.now();
    await endLeftoverTaskGroups({ workDir, graceMs, logger });

    assert.deepEqual(liveGroupMembers(stubborn), [], "the task's group is still alive");
    assert.ok(Date.now() - startedAt >= graceMs, "SIGKILL came before the grace period");
    assert.ok(processIdentity(stranger) !== undefined, "another's group was signalled");
    assert.deepEqual(await readdir(join(workDir, "task-groups")), []);
    const warning = logger.lines.find((line) => line.level === "warn");
    assert.deepEqual((warning?.fields as { taskIds?: string[] } | undefined)?.taskIds, [
      "t-stubborn",
    ]);
    await rm(workDir, { recursive: true, force: true });
  });

  it("ends a group whose leader has exited by its members' SHERPA_TASK_ID, and only then", async () => {
    const orphaned = await startGroup("sleep 33 & wait", "t-orphaned");
    recordTaskGroup(workDir, "t-orphaned", orphaned);
    const unrelated = await startGroup("sleep 34 & wait", "t-someone-else");
    recordTaskGroup(workDir, "t-unrelated", unrelated);
    for (const leader of [orphaned, unrelated]) {
      process.kill(leader, "SIGKILL");
    }
    await waitFor("the leaders to be gone", () =>
      [orphaned, unrelated].every((leader) => processIdentity(leader) === undefined),
    );

    await endLeftoverTaskGroups({ workDir, graceMs, logger: createRecordingLogger() });

    // Its member may linger as a zombie until reaped: dead, but still in the group.
    assert.equal(
      groupHasEnvironmentVariable(orphaned, "SHERPA_TASK_ID=t-orphaned"),
      false,
      "the orphaned member is still alive",
    );
    assert.ok(
      groupHasEnvironmentVariable(unrelated, "SHERPA_TASK_ID=t-someone-else"),
      "a group without the task's processes was signalled",
    );
    await rm(workDir, { recursive: true, force: true });
  });
});
