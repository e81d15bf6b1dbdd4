import { once } from "node:events";
import http2 from "node:http2";
import { setTimeout as sleep } from "node:timers/promises";
import { create, toBinary } from "@bufbuild/protobuf";
import { WatchTasksRequestSchema } from "@sherpa/proto";
import { grpcFrame } from "./grpc-frames.js";
import { readRssBytes } from "./read-rss.js";
import type { ResultRow } from "./result-row.js";
import type { ServerUnderTest } from "./server-under-test.js";
import { protocolHeaders } from "./unary-cases.js";

/**
 * Streams per HTTP/2 connection: below SHERPA_MAX_CONCURRENT_STREAMS' default
 * of 100, which the benchmark leaves as it is.
 */
export const watchStreamsPerConnection = 80;
const allOpenTimeoutMs = 120_000;
/** Streams still opening miss an event; the next one, this much later, reaches them. */
const triggerEveryMs = 2_000;

/** Options of {@link runWatchTasksCase}. */
export interface WatchTasksCaseOptions {
  streams: number;
  /** The server's resident memory before any load, for the note. */
  idleRssBytes: number;
  /**
   * Makes the server send an event on every open stream: a submitted task on
   * Sherpa; nothing on peers, which send one event when a stream opens.
   */
  trigger: () => Promise<void>;
}

/**
 * Opens `streams` WatchTasks calls (every task, no current state) over
 * connections of {@link watchStreamsPerConnection} streams, waits until every
 * one has received an event, so that the server holds them all, and reads the
 * server's resident memory. The streams are then reset.
 */
export async function runWatchTasksCase(
  server: ServerUnderTest,
  options: WatchTasksCaseOptions,
): Promise<ResultRow> {
  const row = {
    caseTitle: `${options.streams.toLocaleString("en-US")} WatchTasks streams, resident memory`,
    server: server.name,
    unit: "MiB" as const,
  };
  const connections = Math.ceil(options.streams / watchStreamsPerConnection);
  const sessions: http2.ClientHttp2Session[] = [];
  try {
    const started = performance.now();
    let received = 0;
    let errors = 0;
    const body = grpcFrame(toBinary(WatchTasksRequestSchema, create(WatchTasksRequestSchema)));
    for (let opened = 0; opened < options.streams; opened++) {
      if (opened % watchStreamsPerConnection === 0) {
        const session = http2.connect(server.h2Url ?? "");
        session.on("error", () => {});
        sessions.push(session);
      }
      const call = sessions.at(-1)?.request({
        ":method": "POST",
        ":path": "/sherpa.v1.TaskService/WatchTasks",
        ...protocolHeaders("grpc"),
        ...server.headers,
      });
      call?.on("error", () => errors++);
      call?.once("data", () => received++);
      call?.end(body);
    }
    const deadline = Date.now() + allOpenTimeoutMs;
    let triggered = 0;
    while (received < options.streams && errors === 0 && Date.now() < deadline) {
      if (Date.now() - triggered >= triggerEveryMs) {
        triggered = Date.now();
        await options.trigger();
      }
      await sleep(50);
    }
    if (received < options.streams) {
      throw new Error(`${received} of ${options.streams} streams got an event; ${errors} failed`);
    }
    const openSeconds = (performance.now() - started) / 1000;
    const rss = await readRssBytes(server.pid);
    const overIdle = (rss - options.idleRssBytes) / 2 ** 20;
    return {
      ...row,
      value: rss / 2 ** 20,
      note: `${connections} connections; +${overIdle.toFixed(1)} MiB over idle; all streams had an event within ${openSeconds.toFixed(1)} s`,
    };
  } catch (error) {
    return { ...row, value: Number.NaN, note: `failed: ${(error as Error).message}` };
  } finally {
    await Promise.all(
      sessions
        .filter((session) => !session.destroyed)
        .map((session) => {
          const closed = once(session, "close");
          session.destroy();
          return closed;
        }),
    );
  }
}
