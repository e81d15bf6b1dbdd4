import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LogStream } from "@sherpa/proto";
import { createRecordingLogger } from "../testing/create-recording-logger.js";
import { createLogUploader, type UploadTaskLogsRequestInit } from "./log-uploader.js";

/** A stand-in for the UploadTaskLogs call that records what it reads. */
function createFakeUpload(options: { failAfterMessages?: number; readDelayMs?: number } = {}) {
  const messages: UploadTaskLogsRequestInit[] = [];
  let calls = 0;
  let answered = false;
  const upload = async (requests: AsyncIterable<UploadTaskLogsRequestInit>) => {
    calls++;
    for await (const request of requests) {
      if (options.readDelayMs !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, options.readDelayMs));
      }
      messages.push(request);
      if (messages.length === options.failAfterMessages) {
        throw new Error("server went away");
      }
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
  };
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
    const uploader = createLogUploader({
      taskId: "t-1",
      upload: fake.upload,
      logger: createRecordingLogger(),
      flushIntervalMs: 50,
    });
    uploader.push("stdout", "epoch 1");
    await new Promise((resolve) => setTimeout(resolve, 120));
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

  it("makes the reader wait while the server is slow", async () => {
    const fake = createFakeUpload({ readDelayMs: 100 });
    const uploader = createLogUploader({
      taskId: "t-1",
      upload: fake.upload,
      logger: createRecordingLogger(),
      maxBatchLines: 1,
      maxPendingBatches: 1,
    });
    const results = ["a", "b", "c", "d"].map((text) => uploader.push("stdout", text));
    assert.ok(results.some((result) => result instanceof Promise));
    await Promise.all(results);
    await uploader.finish();
    assert.deepEqual(fake.texts(), ["a", "b", "c", "d"]);
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
