import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Connections and streams per connection of HTTP/2 cases: 64 calls in flight. */
const h2Connections = 8;
const h2StreamsPerConnection = 8;
/** HTTP/1.1 has one call in flight per connection: as many connections as HTTP/2 has calls. */
const h1Connections = h2Connections * h2StreamsPerConnection;

/** Options of {@link runH2load}. */
export interface H2loadOptions {
  /** The h2load program. */
  h2load: string;
  /** URL of the RPC, for example http://127.0.0.1:8080/sherpa.v1.TaskService/GetTask. */
  url: string;
  /** HTTP/1.1 instead of h2c. */
  http1: boolean;
  /** Seconds of measured load, after one second of warm-up. */
  seconds: number;
  /** File holding the request body, sent as is with POST. */
  bodyFile: string;
  headers: Record<string, string>;
  /** Where h2load logs each request's time. */
  logFile: string;
}

/** What one h2load run measured. */
export interface LoadResult {
  requestsPerSecond: number;
  /** Median time of a request, from sending to its last byte. */
  p50Ms: number;
  p99Ms: number;
  /** Requests completed in the measured time. */
  requests: number;
  /** Requests that failed, errored, timed out or got an HTTP status other than 2xx. */
  failed: number;
}

/**
 * Runs h2load for the given seconds on one thread, 64 calls in flight (8
 * connections of 8 streams, or 64 HTTP/1.1 connections). h2load prints no
 * percentiles, so they come from its per-request log.
 */
export async function runH2load(options: H2loadOptions): Promise<LoadResult> {
  const args = [
    ...(options.http1 ? ["--h1", `--clients=${h1Connections}`] : [`--clients=${h2Connections}`]),
    `--max-concurrent-streams=${options.http1 ? 1 : h2StreamsPerConnection}`,
    "--threads=1",
    `--duration=${options.seconds}`,
    "--warm-up-time=1",
    `--data=${options.bodyFile}`,
    `--log-file=${options.logFile}`,
    ...Object.entries(options.headers).flatMap(([name, value]) => ["-H", `${name}: ${value}`]),
    options.url,
  ];
  const { stdout } = await run(options.h2load, args, { maxBuffer: 16 * 1024 * 1024 });
  const durations = await readDurationsMs(options.logFile);
  return {
    ...parseSummary(stdout),
    p50Ms: percentile(durations, 50),
    p99Ms: percentile(durations, 99),
  };
}

function parseSummary(stdout: string): Omit<LoadResult, "p50Ms" | "p99Ms"> {
  const finished = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(stdout);
  const requests =
    /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      stdout,
    );
  const statuses = /status codes: \d+ 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(stdout);
  if (finished === null || requests === null || statuses === null) {
    throw new Error(`cannot read h2load's summary:\n${stdout}`);
  }
  const [done = 0, , failed = 0, errored = 0, timedOut = 0] = requests.slice(1).map(Number);
  const notOk = statuses.slice(1).reduce((sum, count) => sum + Number(count), 0);
  return {
    requestsPerSecond: Number(finished[1]),
    requests: done,
    failed: failed + errored + timedOut + notOk,
  };
}

/** The third column of h2load's log: each request's time in microseconds. */
async function readDurationsMs(logFile: string): Promise<Float64Array> {
  const lines = (await readFile(logFile, "utf8")).split("\n").filter((line) => line !== "");
  const durations = Float64Array.from(lines, (line) => Number(line.split("\t")[2]) / 1000);
  return durations.sort();
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: Float64Array, rank: number): number {
  if (sorted.length === 0) {
    return Number.NaN;
  }
  const index = Math.min(sorted.length - 1, Math.ceil((rank / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}
