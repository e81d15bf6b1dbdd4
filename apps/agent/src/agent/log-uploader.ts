import type { MessageInitShape } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { createAsyncQueue } from "@sherpa/kit";
import {
  type AgentLogLineSchema,
  LogStream,
  type UploadTaskLogsRequestSchema,
} from "@sherpa/proto";
import type { AgentLogger } from "../agent-logger.js";
import type { OutputStreamName } from "../runner/run-task.js";
import { waitAtMost } from "../wait-at-most.js";

/** One message of an UploadTaskLogs stream. */
export type UploadTaskLogsRequestInit = MessageInitShape<typeof UploadTaskLogsRequestSchema>;

/** Options of createLogUploader. */
export interface LogUploaderOptions {
  taskId: string;
  /** Starts an UploadTaskLogs call sending `requests`; settles with the server's answer. */
  upload: (
    requests: AsyncIterable<UploadTaskLogsRequestInit>,
    signal: AbortSignal,
  ) => Promise<unknown>;
  logger: AgentLogger;
  /** Most lines per message; 100 unless set. */
  maxBatchLines?: number;
  /** Most text bytes per message, kept well under message size limits; 1 MiB unless set. */
  maxBatchBytes?: number;
  /** A line waits at most this long before it is sent; 100 ms unless set. */
  flushIntervalMs?: number;
  /** Messages buffered while the server is slow, before output reading pauses; 16 unless set. */
  maxPendingBatches?: number;
  /** How long finish() waits for the server's answer; 30 000 ms unless set. */
  finishTimeoutMs?: number;
}

/** Streams one task's output lines to the server in batches. */
export interface LogUploader {
  /** Adds a line; returns a promise when the caller should wait before the next one. */
  push(stream: OutputStreamName, text: string): undefined | Promise<void>;
  /**
   * Sends what is left, ends the stream and waits until the server has stored
   * every line (or the upload failed, which is logged). Never rejects.
   */
  finish(): Promise<void>;
}

/**
 * Creates a LogUploader. The UploadTaskLogs call starts with the first batch,
 * so a task without output opens no stream. If the call fails, the rest of the
 * task's output is dropped (and counted in a warning) rather than held: the
 * task's final status must not wait on its logs.
 */
export function createLogUploader(options: LogUploaderOptions): LogUploader {
  const { taskId, logger } = options;
  const maxBatchLines = options.maxBatchLines ?? 100;
  const maxBatchBytes = options.maxBatchBytes ?? 1024 * 1024;
  const flushIntervalMs = options.flushIntervalMs ?? 100;
  const queue = createAsyncQueue<UploadTaskLogsRequestInit>(options.maxPendingBatches ?? 16);
  const abort = new AbortController();
  let batch: MessageInitShape<typeof AgentLogLineSchema>[] = [];
  let batchBytes = 0;
  let flushTimer: NodeJS.Timeout | undefined;
  let uploading: Promise<void> | undefined;
  let failed = false;
  let droppedLines = 0;

  const startUpload = (): Promise<void> =>
    options.upload(queue, abort.signal).then(
      () => undefined,
      (error: unknown) => {
        failed = true;
        droppedLines += queue
          .abort()
          .reduce((sum, request) => sum + (request.lines?.length ?? 0), 0);
        logger.warn(
          { taskId, err: ConnectError.from(error).message },
          "log upload failed; the rest of this task's output is dropped",
        );
      },
    );

  const flush = (): undefined | Promise<void> => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (batch.length === 0) {
      return undefined;
    }
    const lines = batch;
    batch = [];
    batchBytes = 0;
    uploading ??= startUpload();
    const request = { taskId, lines };
    if (queue.push(request)) {
      return undefined;
    }
    return queue.pushOrWait(request).then((added) => {
      if (!added) {
        droppedLines += lines.length;
      }
    });
  };

  return {
    push(stream, text) {
      if (failed) {
        droppedLines++;
        return undefined;
      }
      const bytes = Buffer.byteLength(text);
      const waits: Promise<void>[] = [];
      if (batch.length > 0 && batchBytes + bytes > maxBatchBytes) {
        waits.push(flush() ?? Promise.resolve());
      }
      batch.push({ stream: stream === "stdout" ? LogStream.STDOUT : LogStream.STDERR, text });
      batchBytes += bytes;
      if (batch.length >= maxBatchLines || batchBytes >= maxBatchBytes) {
        waits.push(flush() ?? Promise.resolve());
      } else {
        flushTimer ??= setTimeout(flush, flushIntervalMs);
      }
      return waits.length === 0 ? undefined : Promise.all(waits).then(() => undefined);
    },
    async finish() {
      await flush();
      queue.close();
      if (uploading !== undefined) {
        if (!(await waitAtMost(uploading, options.finishTimeoutMs ?? 30_000))) {
          abort.abort();
          await uploading;
        }
      }
      if (droppedLines > 0) {
        logger.warn({ taskId, droppedLines }, "some output of this task was not uploaded");
      }
    },
  };
}
