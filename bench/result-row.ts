/** One line of the results table. */
export interface ResultRow {
  /** The case, the same for Sherpa and its peers. */
  caseTitle: string;
  server: string;
  /** What was measured; NaN when the case failed on this server. */
  value: number;
  unit: "req/s" | "lines/s" | "MiB" | "ms";
  /** Latency percentiles, for load cases. */
  p50Ms?: number;
  p99Ms?: number;
  /** Facts a reader needs beside the value: failures, message rates, sizes. */
  note: string;
}
