import { spawn } from "node:child_process";
import { once } from "node:events";
import { constants } from "node:fs";
import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { TaskService } from "@sherpa/proto";
import { type BenchSettings, readBenchSettings } from "./bench-settings.js";
import { writeCannedResponses } from "./canned-responses.js";
import { captureCannedResponses } from "./capture-canned-responses.js";
import { describeMachine, type MachineInfo } from "./machine-info.js";
import { createOwnedTransport } from "./owned-transport.js";
import { buildPeers, peerDefinitions, startPeer } from "./peer-processes.js";
import { pendingTaskRequest } from "./pending-task.js";
import { readRssBytes } from "./read-rss.js";
import type { ResultRow } from "./result-row.js";
import { formatResultsReport } from "./results-report.js";
import { runUnaryCase } from "./run-unary-case.js";
import { runSchedulingCases } from "./scheduling-pass-case.js";
import { seedSherpaData } from "./seed-sherpa-data.js";
import type { ServerUnderTest } from "./server-under-test.js";
import { type SherpaProcess, startSherpa } from "./sherpa-process.js";
import { runStreamTaskLogsCase, streamTaskLogsTitle } from "./stream-task-logs-case.js";
import { unaryCases } from "./unary-cases.js";
import { runWatchTasksCase } from "./watch-tasks-case.js";

const repoRoot = fileURLToPath(new URL("../", import.meta.url));
const outDir = fileURLToPath(new URL("./.out/", import.meta.url));
const resultsFile = fileURLToPath(new URL("./results.md", import.meta.url));
/** Time a process gets after it starts before its idle memory is read. */
const settleMs = 2_000;
const idleTitle = "Idle resident memory";
/** A submit that makes Sherpa's watchers get an event, while it is busy opening them. */
const triggerTimeoutMs = 60_000;

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

async function main(): Promise<void> {
  const settings = readBenchSettings(process.env);
  const h2load = await findOnPath("h2load");
  const machine = await describeMachine(h2load);
  progress("building Sherpa");
  await buildSherpa();
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await buildPeers(join(outDir, "peers"));
  const dataDir = await mkdtemp(join(tmpdir(), "sherpa-bench-"));
  const servers: ServerUnderTest[] = [];
  try {
    progress(`seeding ${settings.logLines.toLocaleString("en-US")} log lines`);
    const tasks = await seedSherpaData(dataDir, join(outDir, "sherpa-seed.log"), settings.logLines);
    const sherpa = await startSherpa(dataDir, join(outDir, "sherpa.log"));
    servers.push(sherpa);
    await sleep(settleMs);
    const idleRss = new Map([[sherpa.name, await readRssBytes(sherpa.pid)]]);
    const cannedFile = join(outDir, "canned-responses.json");
    writeCannedResponses(
      cannedFile,
      await captureCannedResponses(sherpa, tasks, settings.logLines),
    );
    for (const peer of peerDefinitions) {
      const logFile = join(outDir, `${peer.script}.log`);
      servers.push(
        await startPeer(peer, join(outDir, "peers"), cannedFile, logFile, sherpa.headers),
      );
    }
    await sleep(settleMs);
    for (const server of servers.slice(1)) {
      idleRss.set(server.name, await readRssBytes(server.pid));
    }
    const rows = servers.map((server) => idleRow(server, idleRss.get(server.name) ?? Number.NaN));
    rows.push(...(await runServerCases(servers, sherpa, tasks, idleRss, settings, h2load)));
    await Promise.all(servers.map((server) => server.stop()));
    if (selected(settings, "Scheduling")) {
      progress("scheduling pass");
      rows.push(...(await runSchedulingCases(settings)));
    }
    await report(
      rows.filter((row) => selected(settings, row.caseTitle)),
      machine,
      settings,
    );
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function runServerCases(
  servers: readonly ServerUnderTest[],
  sherpa: SherpaProcess,
  tasks: { getTaskId: string; logTaskId: string },
  idleRss: ReadonlyMap<string, number>,
  settings: BenchSettings,
  h2load: string,
): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const context = { h2load, seconds: settings.seconds, outDir };
  for (const unaryCase of unaryCases(tasks.getTaskId)) {
    for (const server of servers.filter((each) => each.serves.has(unaryCase.id))) {
      if (selected(settings, unaryCase.title)) {
        progress(`${unaryCase.title}: ${server.name}`);
        rows.push(await runUnaryCase(unaryCase, server, context));
      }
    }
  }
  for (const server of servers.filter((each) => each.serves.has("stream-task-logs"))) {
    if (selected(settings, streamTaskLogsTitle)) {
      progress(`${streamTaskLogsTitle}: ${server.name}`);
      rows.push(await runStreamTaskLogsCase(server, tasks.logTaskId, settings.logLines));
    }
  }
  const sherpaClient = createOwnedTransport("grpc", sherpa.baseUrl);
  const sherpaTasks = createClient(TaskService, sherpaClient.transport);
  for (const server of servers.filter((each) => each.serves.has("watch-tasks"))) {
    if (selected(settings, "WatchTasks")) {
      progress(`WatchTasks streams: ${server.name}`);
      const trigger =
        server === sherpa
          ? async () => {
              await sherpaTasks.submitTask(pendingTaskRequest, {
                headers: sherpa.headers,
                timeoutMs: triggerTimeoutMs,
              });
            }
          : async () => {};
      rows.push(
        await runWatchTasksCase(server, {
          streams: settings.watchStreams,
          idleRssBytes: idleRss.get(server.name) ?? 0,
          trigger,
        }),
      );
    }
  }
  sherpaClient.close();
  return rows;
}

function idleRow(server: ServerUnderTest, rssBytes: number): ResultRow {
  return {
    caseTitle: idleTitle,
    server: server.name,
    value: rssBytes / 2 ** 20,
    unit: "MiB",
    note: `VmRSS ${settleMs / 1000} s after start, before any load`,
  };
}

function selected(settings: BenchSettings, title: string): boolean {
  return title.toLowerCase().includes(settings.only.toLowerCase());
}

/**
 * Prints the report and saves it as bench/results.md; a run narrowed by
 * BENCH_ONLY saves it under bench/.out/ instead, keeping the last full result.
 */
async function report(
  rows: readonly ResultRow[],
  machine: MachineInfo,
  settings: BenchSettings,
): Promise<void> {
  const text = formatResultsReport(rows, machine, settings);
  process.stdout.write(text);
  const file = settings.only === "" ? resultsFile : join(outDir, "results.md");
  await writeFile(file, text);
  progress(`saved ${file}; logs in ${outDir}`);
}

/** Builds the server and the packages it uses, as `npm start` does. */
async function buildSherpa(): Promise<void> {
  const build = spawn(
    "npx",
    ["turbo", "run", "build", "--filter=@sherpa/server...", "--output-logs=errors-only"],
    { cwd: repoRoot, stdio: ["ignore", 2, 2] },
  );
  const [code] = await once(build, "exit");
  if (code !== 0) {
    throw new Error(`the build failed with status ${code}`);
  }
}

async function findOnPath(name: string): Promise<string> {
  for (const directory of (process.env.PATH ?? "").split(delimiter).filter((dir) => dir !== "")) {
    const candidate = join(directory, name);
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    ) {
      return candidate;
    }
  }
  throw new Error(`${name} is missing: run scripts/install-test-tools.sh`);
}

await main();
