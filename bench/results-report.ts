import type { BenchSettings } from "./bench-settings.js";
import { formatMachine, type MachineInfo } from "./machine-info.js";
import type { ResultRow } from "./result-row.js";
import { formatResultsTable } from "./results-table.js";
import { benchSherpaSettings } from "./sherpa-process.js";
import { watchStreamsPerConnection } from "./watch-tasks-case.js";

/** The report of one run: how it was set up, the machine, and the table. */
export function formatResultsReport(
  rows: readonly ResultRow[],
  machine: MachineInfo,
  settings: BenchSettings,
): string {
  const changed = Object.entries(benchSherpaSettings)
    .map(([name, value]) => `${name}=${value}`)
    .join(" and ");
  return [
    "# Sherpa benchmark results",
    "",
    "Written by `npm run bench`; bench/README.md says what each case measures.",
    "",
    "## Machine",
    "",
    formatMachine(machine),
    "",
    "## Setup",
    "",
    `- Sherpa: the built server with its default settings (info logs to a file, metrics, audit log, auth, embedded agent), except ${changed}, so that the load generator's calls, all made as the admin, are not refused.`,
    "- Peers answer canned responses Sherpa gave (same message types and sizes); Sherpa reads and writes its SQLite database.",
    `- Unary cases: h2load, one thread, 64 calls in flight (8 h2c connections of 8 streams, or 64 HTTP/1.1 connections), ${settings.seconds} s after 1 s of warm-up (BENCH_SECONDS).`,
    `- StreamTaskLogs: one call reading ${settings.logLines.toLocaleString("en-US")} lines; WatchTasks: ${settings.watchStreams.toLocaleString("en-US")} streams, ${watchStreamsPerConnection} per connection (SHERPA_MAX_CONCURRENT_STREAMS left at 100).`,
    "- Sherpa ÷ server: Sherpa's result divided by the server's. For req/s and lines/s below 1 means Sherpa is slower; for MiB above 1 means Sherpa uses more.",
    "- Load generator, servers and benchmark share the machine's CPUs; on a machine doing other work (see the load average) numbers vary from run to run.",
    "",
    "## Results",
    "",
    formatResultsTable(rows),
    "",
  ].join("\n");
}
