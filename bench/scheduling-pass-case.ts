import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
// In-process: the planner and the stores are not exports of @sherpa/server,
// so the benchmark imports them from its source (run by tsx).
import { defaultQueueName, defaultResourceGroupName } from "../apps/server/src/domain/defaults.js";
import {
  type PendingTask,
  planAssignments,
  type SchedulingInput,
} from "../apps/server/src/scheduling/plan-assignments.js";
import { createStores, type Stores } from "../apps/server/src/storage/create-stores.js";
import { openDatabase } from "../apps/server/src/storage/database.js";
import type { Database } from "../apps/server/src/storage/schema.js";
import type { ResultRow } from "./result-row.js";

/** Options of {@link runSchedulingCases}. */
export interface SchedulingCaseOptions {
  pendingTasks: number;
  /** GPUs, 8 to a node. */
  gpus: number;
}

const gpusPerNode = 8;
const gpuModel = "NVIDIA H100 80GB HBM3";
/** GPUs the pending tasks ask for, in turn: mostly small tasks, some whole nodes. */
const gpuCounts = [1, 1, 2, 4, 8];
const storePasses = 5;
const plannerPasses = 20;

/**
 * Times scheduling with no server around it: a database in a temporary
 * directory (SQLite, WAL, as the server opens it) holds `pendingTasks` pending
 * tasks of the default queue and `gpus` free GPUs on simulated nodes that
 * registered just now. Two things are timed, each the median of several runs:
 * a whole pass of the task execution store (scheduleNextTasks: one
 * transaction reading up to its per-pass limit of pending tasks, planning and
 * allocating GPUs), with the allocations undone between runs; and the planner
 * alone (planAssignments) on every pending task at once, in memory.
 */
export async function runSchedulingCases(options: SchedulingCaseOptions): Promise<ResultRow[]> {
  const dataDir = await mkdtemp(join(tmpdir(), "sherpa-bench-scheduling-"));
  const db = await openDatabase({ dataDir });
  try {
    const stores = createStores(db, { nodeOfflineAfterMs: 30_000 });
    const now = new Date();
    const nodeNames = await registerNodes(stores, options.gpus, now);
    await submitPendingTasks(stores, options.pendingTasks, now);
    const title = `Scheduling ${options.pendingTasks.toLocaleString("en-US")} pending tasks onto ${options.gpus.toLocaleString("en-US")} GPUs`;
    return [
      await timeStorePass(db, stores, new Set(nodeNames), now, title),
      timePlanner(options, nodeNames, title),
    ];
  } finally {
    await db.destroy();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function registerNodes(stores: Stores, gpus: number, now: Date): Promise<string[]> {
  const names: string[] = [];
  for (let node = 0; node * gpusPerNode < gpus; node++) {
    const name = `node-${String(node).padStart(4, "0")}`;
    const count = Math.min(gpusPerNode, gpus - node * gpusPerNode);
    await stores.nodes.registerNode(
      {
        name,
        labels: { zone: `zone-${node % 4}` },
        simulated: true,
        gpus: Array.from({ length: count }, (_, index) => ({
          uuid: `GPU-${name}-${index}`,
          index,
          model: gpuModel,
          memoryBytes: 80 * 2 ** 30,
        })),
      },
      now,
    );
    names.push(name);
  }
  return names;
}

async function submitPendingTasks(stores: Stores, count: number, now: Date): Promise<void> {
  for (let index = 0; index < count; index++) {
    await stores.tasks.submitTask(
      {
        queue: defaultQueueName,
        name: `train-${index}`,
        argv: ["python", "train.py"],
        env: {},
        gpuCount: gpuCountOf(index),
        gpuModel: "",
        timeoutMs: undefined,
        labels: {},
        requestId: "",
        owner: "bench",
      },
      now,
    );
  }
}

function gpuCountOf(index: number): number {
  return gpuCounts[index % gpuCounts.length] ?? 1;
}

async function timeStorePass(
  db: Kysely<Database>,
  stores: Stores,
  connectedNodes: ReadonlySet<string>,
  now: Date,
  title: string,
): Promise<ResultRow> {
  const times: number[] = [];
  let placed = 0;
  for (let pass = 0; pass < storePasses; pass++) {
    const started = performance.now();
    placed = (await stores.execution.scheduleNextTasks(connectedNodes, now)).length;
    times.push(performance.now() - started);
    await undoAllocations(db);
  }
  return {
    caseTitle: `${title}: store pass`,
    server: "Sherpa",
    value: median(times),
    unit: "ms",
    note: `scheduleNextTasks in-process (reads up to 1,000 pending, plans, allocates); placed ${placed}; median of ${storePasses}, first ${times[0]?.toFixed(1)} ms`,
  };
}

/** Puts every task back to pending and frees every GPU, for the next run. */
async function undoAllocations(db: Kysely<Database>): Promise<void> {
  await db.updateTable("gpus").set({ task_id: null }).execute();
  await db
    .updateTable("tasks")
    .set({ state: "pending", node_name: "", gpu_uuids: "[]", start_time: null })
    .execute();
}

function timePlanner(
  options: SchedulingCaseOptions,
  nodeNames: string[],
  title: string,
): ResultRow {
  const input = plannerInput(options, nodeNames);
  const times: number[] = [];
  let placed = 0;
  for (let pass = 0; pass < plannerPasses; pass++) {
    const started = performance.now();
    placed = planAssignments(input).length;
    times.push(performance.now() - started);
  }
  return {
    caseTitle: `${title}: planner only`,
    server: "Sherpa",
    value: median(times),
    unit: "ms",
    note: `planAssignments on all ${options.pendingTasks.toLocaleString("en-US")} pending in memory; placed ${placed}; median of ${plannerPasses}`,
  };
}

function plannerInput(options: SchedulingCaseOptions, nodeNames: string[]): SchedulingInput {
  const pendingTasks: PendingTask[] = Array.from({ length: options.pendingTasks }, (_, index) => ({
    id: `task-${index}`,
    queue: defaultQueueName,
    gpuCount: gpuCountOf(index),
    gpuModel: "",
  }));
  return {
    pendingTasks,
    queues: new Map([
      [defaultQueueName, { gpuQuota: 0, gpusInUse: 0, resourceGroups: [defaultResourceGroupName] }],
    ]),
    resourceGroups: new Map([[defaultResourceGroupName, {}]]),
    nodes: nodeNames.map((name, node) => ({
      name,
      labels: { zone: `zone-${node % 4}` },
      freeGpus: Array.from(
        { length: Math.min(gpusPerNode, options.gpus - node * gpusPerNode) },
        (_, index) => ({ uuid: `GPU-${name}-${index}`, index, model: gpuModel }),
      ),
    })),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
