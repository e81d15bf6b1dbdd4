import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { waitFor } from "@sherpa/kit/testing";
import { signalProcessGroup } from "./process-group.js";
import { liveGroupMembers } from "./process-identity.js";
import { startTaskWatchdog } from "./task-watchdog.js";

const ownerScript = fileURLToPath(new URL("../testing/watched-group-owner.ts", import.meta.url));
const graceMs = 1000;

describe("startTaskWatchdog", () => {
  it("stops the group once its owner is killed with SIGKILL: SIGTERM, then SIGKILL after the grace", async (t) => {
    // The leader ignores SIGTERM; the other member does not.
    const script = "sleep 30 & trap '' TERM; exec sleep 31";
    const owner = spawn(
      process.execPath,
      [...process.execArgv, ownerScript, script, `${graceMs}`],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const [firstLine] = (await once(owner.stdout, "data")) as [Buffer];
    const groupId = Number(firstLine.toString().trim());
    t.after(() => {
      owner.kill("SIGKILL");
      signalProcessGroup(groupId, "SIGKILL");
    });
    // Both members there, and the leader past its trap: it has become `sleep`.
    await waitFor(
      "the group to be set up",
      () =>
        liveGroupMembers(groupId).length === 2 &&
        readFileSync(`/proc/${groupId}/comm`, "utf8").trim() === "sleep",
    );
    const [leader] = liveGroupMembers(groupId);
    assert.equal(leader, groupId);

    owner.kill("SIGKILL");
    const killedAt = Date.now();
    await waitFor(
      "the member that obeys SIGTERM to end",
      () => liveGroupMembers(groupId).every((pid) => pid === groupId),
      { timeoutMs: graceMs / 2 },
    );
    assert.deepEqual(liveGroupMembers(groupId), [groupId], "SIGKILL came before the grace period");
    await waitFor("the leader to be killed", () => liveGroupMembers(groupId).length === 0, {
      timeoutMs: 3 * graceMs,
    });
    assert.ok(Date.now() - killedAt >= graceMs, "SIGKILL came before the grace period");
  });

  it("exits when released, signalling nothing", async (t) => {
    const group = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
    const groupId = group.pid ?? 0;
    t.after(() => signalProcessGroup(groupId, "SIGKILL"));
    const watchdog = startTaskWatchdog({
      groupId,
      graceMs,
      path: process.env.PATH ?? "",
      onError: (error) => assert.fail(error),
    });
    const watchdogPid = watchdog.pid ?? 0;
    assert.equal(signalProcessGroup(watchdogPid, 0), true, "the watchdog runs");
    watchdog.release();
    await waitFor("the watchdog to exit", () => !signalProcessGroup(watchdogPid, 0));
    assert.deepEqual(liveGroupMembers(groupId), [groupId], "the group was signalled");
  });
});
