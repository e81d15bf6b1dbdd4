import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, it } from "node:test";
import { LogStream } from "@sherpa/proto";
import { createRecordingLogger } from "../testing/create-recording-logger.js";
import { waitAtMost } from "../wait-at-most.js";
import { createLogUploader, type UploadTaskLogsRequestInit } from "./log-uploader.js";

/** A stand-in for the UploadTaskLogs call that records what it reads. */
function createFakeUpload(options: { failAfterMessages?: number } = {}) {
  const messages: UploadTaskLogsRequestInit[] = [];
  const received = new EventTarget();
  let calls = 0;
  let answered = false;
  let readingPaused: Promise<void> | undefined;
  const upload = async (requests: AsyncIterable<UploadTaskLogsRequestInit>) => {
    calls++;
    for await (const request of requests) {
      messages.push(request);
      received.dispatchEvent(new Event("message"));
      if (messages.length === options.failAfterMessages) {
        throw new Error("server went away");
      }
      await readingPaused;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    answered = true;
    return {};
  };
  return {
    upload,
    messages,
    get calls() {
      return calls;
    },
    get answered() {
      return answered;
    },
    texts: () => messages.flatMap((message) => message.lines?.map((line) => line.text) ?? []),
    /** Resolves once the server has read `count` messages in all. */
    async received(count: number): Promise<void> {
      while (messages.length < count) {
        await once(received, "message");
      }
    },
    /** Stops reading after the current message, as a slow server does, until the returned resume(). */
    pauseReading(): () => void {
      let resume = () => {};
      readingPaused = new Promise((resolve) => {
        resume = () => {
          readingPaused = undefined;
          resolve();
        };
      });
      return resume;
    },
  };
}

/** Whether `promise` is still pending once everything already queued has run. */
async function isPending(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  const settle = () => {
    settled = true;
  };
  promise.then(settle, settle);
  await new Promise((resolve) => setImmediate(resolve));
  return !settled;
}

describe("createLogUploader", () => {
  it("sends lines in batches of 100 and waits for the server's answer on finish", async () => {
    const fake = createFakeUpload();
    const uploader = createLogUploader({
      taskId: "t-1",
      upload: fake.upload,
      logger: createRecordingLogger(),
    });
    for (let i = 0; i < 250; i++) {
      await uploader.push(i % 2 === 0 ? "stdout" : "stderr", `line ${i}`);
    }
    await uploader.finish();
    assert.equal(fake.answered, true);
    assert.deepEqual(
      fake.messages.map((message) => message.lines?.length),
      [100, 100, 50],
    );
    assert.ok(fake.messages.every((message) => message.taskId === "t-1"));
    assert.deepEqual(fake.messages[0]?.lines?.slice(0, 2), [
      { stream: LogStream.STDOUT, text: "line 0" },
      { stream: LogStream.STDERR, text: "line 1" },
    ]);
    assert.equal(fake.texts().length, 250);
  });

  it("sends a lone line within the flush interval, before the task ends", async () => {
    const fake = createFakeUpload();
    const flushIntervalMs = 50;
    const uploader = createLogUploader({
      taskId: "t-1",
      upload: fake.upload,
      logger: createRecordingLogger(),
      flushIntervalMs,
    });
    uploader.push("stdout", "epoch 1");
    // A bound in flush intervals, so a line that is never sent fails the test instead of hanging it.
    const limitMs = flushIntervalMs * 20;
    assert.equal(
      await waitAtMost(fake.received(1), limitMs),
      true,
      `the line was not sent within ${limitMs} ms`,
    );
    assert.deepEqual(fake.texts(), ["epoch 1"]);
    await uploader.finish();
  });

  it("keeps each message under the byte limit", async () => {
    const fake = createFakeUpload();
    const uploader = createLogUploader({
      taskId: "t-1",
      upload: fake.upload,
      logger: createRecordingLogger(),
      maxBatchBytes: 1000,
    });
    for (let i = 0; i < 5; i++) {
      await uploader.push("stdout", "x".repeat(400));
    }
    await uploader.finish();
    assert.deepEqual(
      fake.messages.map((message) => message.lines?.length),
      [2, 2, 1],
    );
  });

  it("makes the reader wait while the server is slow, and lets it go on once the server reads", async () => {
    const fake = createFakeUpload();
    const uploader = createLogUploader({
      taskId: "t-1",
      upload: fake.upload,
      logger: createRecordingLogger(),
      maxBatchLines: 1,
      maxPendingBatches: 1,
    });
    const resume = fake.pauseReading();
    await uploader.push("stdout", "a");
    await fake.received(1);
    // The server holds "a" and reads no further: "b" fills the one pending slot.
    await uploader.push("stdout", "b");
    const blocked = uploader.push("stdout", "c");
    assert.ok(blocked instanceof Promise, "push() did not ask the reader to wait");
    assert.equal(
      await isPending(blocked),
      true,
      "push() let the reader go on while the server was stuck",
    );
    resume();
    await blocked;
    await uploader.finish();
    assert.deepEqual(fake.texts(), ["a", "b", "c"]);
  });

  it("opens no stream for a task without output", async () => {
    const fake = createFakeUpload();
    const uploader = createLogUploader({
      taskId: "t-1",
      upload: fake.upload,
      logger: createRecordingLogger(),
    });
    await uploader.finish();
    assert.equal(fake.calls, 0);
  });

  it("drops the rest of the output after a failed upload, says how much, and still finishes", async () => {
    const fake = createFakeUpload({ failAfterMessages: 1 });
    const logger = createRecordingLogger();
    const uploader = createLogUploader({
      taskId: "t-1",
      upload: fake.upload,
      logger,
      maxBatchLines: 10,
    });
    for (let i = 0; i < 100; i++) {
      await uploader.push("stdout", `line ${i}`);
    }
    await uploader.finish();
    assert.ok(logger.lines.some((line) => /log upload failed/.test(line.message)));
    const dropped = logger.lines.find((line) => /not uploaded/.test(line.message));
    assert.ok(dropped !== undefined);
    assert.ok(((dropped.fields as { droppedLines?: number }).droppedLines ?? 0) > 0);
  });
});
