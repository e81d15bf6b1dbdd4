import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TaskState } from "@sherpa/proto";
import { createTaskStatusOutbox, type TaskStatusReportInit } from "./task-status-outbox.js";

const running = (taskId: string): TaskStatusReportInit => ({ taskId, state: TaskState.RUNNING });
const succeeded = (taskId: string): TaskStatusReportInit => ({
  taskId,
  state: TaskState.SUCCEEDED,
});

describe("createTaskStatusOutbox", () => {
  it("holds reports while detached and sends them in order once attached", async () => {
    const outbox = createTaskStatusOutbox();
    outbox.add(running("a"));
    outbox.add(succeeded("a"));
    assert.deepEqual(outbox.endedTaskIds(), ["a"]);
    const sent: TaskStatusReportInit[] = [];
    outbox.attach(async (report) => {
      sent.push(report);
      return true;
    });
    outbox.add(running("b"));
    await outbox.idle();
    assert.deepEqual(sent, [running("a"), succeeded("a"), running("b")]);
    assert.deepEqual(outbox.pending(), []);
  });

  it("keeps a report the session refused, and puts the session's unsent ones first", async () => {
    const outbox = createTaskStatusOutbox();
    outbox.attach(async () => false);
    outbox.add(succeeded("b"));
    await outbox.idle();
    outbox.detach([succeeded("a")]);
    assert.deepEqual(outbox.pending(), [succeeded("a"), succeeded("b")]);
  });
});
