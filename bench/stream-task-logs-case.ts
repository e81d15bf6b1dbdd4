import { once } from "node:events";
import http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { StreamTaskLogsRequestSchema, StreamTaskLogsResponseSchema } from "@sherpa/proto";
import { createGrpcFrameReader, grpcFrame } from "./grpc-frames.js";
import type { ResultRow } from "./result-row.js";
import type { ServerUnderTest } from "./server-under-test.js";
import { protocolHeaders } from "./unary-cases.js";

/** Its name in the table. */
export const streamTaskLogsTitle = "StreamTaskLogs, gRPC server stream";

/** A server that has not sent the whole log by then counts as failed. */
const readTimeoutMs = 120_000;

/** What one read of a log stream saw. */
interface LogStreamRead {
  messages: number;
  lines: number;
  lastOffset: bigint;
  seconds: number;
}

/**
 * Reads a task's whole log in one StreamTaskLogs call (no follow) with a raw
 * node:http2 client that only splits the gRPC messages, decoding the first and
 * the last: lines come in equal batches but the last, so that is enough to
 * count them, and the client's own work stays small. Sherpa must send every
 * line, offsets 0 to `logLines - 1`.
 */
export async function runStreamTaskLogsCase(
  server: ServerUnderTest,
  taskId: string,
  logLines: number,
): Promise<ResultRow> {
  const row = { caseTitle: streamTaskLogsTitle, server: server.name, unit: "lines/s" as const };
  try {
    const read = await readLogStream(server, taskId);
    if (server.name === "Sherpa" && read.lastOffset !== BigInt(logLines - 1)) {
      throw new Error(`the last line's offset is ${read.lastOffset}, not ${logLines - 1}`);
    }
    const messagesPerSecond = Math.round(read.messages / read.seconds);
    return {
      ...row,
      value: read.lines / read.seconds,
      note: `${read.lines.toLocaleString("en-US")} lines in ${read.messages.toLocaleString("en-US")} messages, ${read.seconds.toFixed(2)} s, ${messagesPerSecond.toLocaleString("en-US")} msg/s`,
    };
  } catch (error) {
    return { ...row, value: Number.NaN, note: `failed: ${(error as Error).message}` };
  }
}

async function readLogStream(server: ServerUnderTest, taskId: string): Promise<LogStreamRead> {
  const session = http2.connect(server.h2Url ?? "");
  try {
    const started = performance.now();
    const call = session.request({
      ":method": "POST",
      ":path": "/sherpa.v1.TaskService/StreamTaskLogs",
      ...protocolHeaders("grpc"),
      ...server.headers,
    });
    call.end(
      grpcFrame(
        toBinary(StreamTaskLogsRequestSchema, create(StreamTaskLogsRequestSchema, { id: taskId })),
      ),
    );
    let messages = 0;
    let first: Buffer | undefined;
    let last: Buffer | undefined;
    call.on(
      "data",
      createGrpcFrameReader((message) => {
        messages++;
        first ??= Buffer.from(message);
        last = message;
      }),
    );
    let status: string | undefined;
    call.once("trailers", (trailers) => {
      status = String(trailers["grpc-status"]);
    });
    await once(call, "end", { signal: AbortSignal.timeout(readTimeoutMs) });
    const seconds = (performance.now() - started) / 1000;
    if (status !== "0" || first === undefined || last === undefined) {
      throw new Error(`the stream ended with grpc-status ${status} after ${messages} messages`);
    }
    const firstLines = fromBinary(StreamTaskLogsResponseSchema, first).lines;
    const lastLines = fromBinary(StreamTaskLogsResponseSchema, Buffer.from(last)).lines;
    return {
      messages,
      lines: firstLines.length * (messages - 1) + lastLines.length,
      lastOffset: lastLines.at(-1)?.offset ?? -1n,
      seconds,
    };
  } finally {
    session.destroy();
  }
}
