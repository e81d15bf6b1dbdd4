import type { ExpressionBuilder, Kysely, Selectable } from "kysely";
import { notFound } from "../domain/errors.js";
import type { Gpu, Node, NodeState } from "../domain/records.js";
import { stringMapColumn } from "./json-columns.js";
import { type Page, type PageRequest, toPage } from "./pagination.js";
import type { Database, GpuTable, NodeTable } from "./schema.js";
import { type NodeRegistration, writeNodeRegistration } from "./write-node-registration.js";

export type { NodeRegistration } from "./write-node-registration.js";

/** Filters of ListNodes. */
export interface NodeFilter {
  states: NodeState[];
  labels: Record<string, string>;
}

/** Options of {@link createNodeStore}. */
export interface NodeStoreOptions {
  /** A node whose last heartbeat is older than this is OFFLINE. */
  nodeOfflineAfterMs: number;
}

/** Reads nodes and their GPUs, and records registrations and cordoning. */
export interface NodeStore {
  /** Creates or refreshes a node and its GPU inventory, and counts as a heartbeat. */
  registerNode(registration: NodeRegistration, now: Date): Promise<Node>;
  getNode(name: string, now: Date): Promise<Node>;
  listNodes(page: PageRequest<string>, filter: NodeFilter, now: Date): Promise<Page<Node>>;
  setCordoned(name: string, cordoned: boolean, now: Date): Promise<Node>;
}

/** Creates the node store over the database. */
export function createNodeStore(db: Kysely<Database>, options: NodeStoreOptions): NodeStore {
  const cutoffOf = (now: Date) => now.getTime() - options.nodeOfflineAfterMs;
  return {
    async registerNode(registration, now) {
      await writeNodeRegistration(db, registration, now);
      return getNode(db, registration.name, cutoffOf(now));
    },
    getNode: (name, now) => getNode(db, name, cutoffOf(now)),
    listNodes: (page, filter, now) => listNodes(db, page, filter, cutoffOf(now)),
    async setCordoned(name, cordoned, now) {
      const result = await db
        .updateTable("nodes")
        .set({ cordoned: cordoned ? 1 : 0 })
        .where("name", "=", name)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) {
        throw notFound("node", name);
      }
      return getNode(db, name, cutoffOf(now));
    },
  };
}

async function getNode(db: Kysely<Database>, name: string, cutoff: number): Promise<Node> {
  const row = await db.selectFrom("nodes").selectAll().where("name", "=", name).executeTakeFirst();
  const [node] = await withGpus(db, row === undefined ? [] : [row], cutoff);
  if (node === undefined) {
    throw notFound("node", name);
  }
  return node;
}

async function listNodes(
  db: Kysely<Database>,
  { pageSize, after }: PageRequest<string>,
  filter: NodeFilter,
  cutoff: number,
): Promise<Page<Node>> {
  let query = selectNodeNamesWithLabels(db, filter.labels)
    .selectAll()
    .orderBy("name")
    .limit(pageSize + 1);
  if (after !== undefined) {
    query = query.where("name", ">", after);
  }
  if (filter.states.length > 0) {
    query = query.where((eb) =>
      eb.or(filter.states.map((state) => nodeStateIs(eb, state, cutoff))),
    );
  }
  const page = toPage(
    await query.execute(),
    pageSize,
    (row) => row.name,
    (row) => row,
  );
  return { ...page, items: await withGpus(db, page.items, cutoff) };
}

/** Reads the GPUs of the nodes of `rows` and makes the nodes of both. */
async function withGpus(
  db: Kysely<Database>,
  rows: Selectable<NodeTable>[],
  cutoff: number,
): Promise<Node[]> {
  if (rows.length === 0) {
    return [];
  }
  const gpus = await db
    .selectFrom("gpus")
    .selectAll()
    .where(
      "node_name",
      "in",
      rows.map((row) => row.name),
    )
    .orderBy("gpu_index")
    .execute();
  return rows.map((row) =>
    toNode(
      row,
      gpus.filter((gpu) => gpu.node_name === row.name),
      cutoff,
    ),
  );
}

/** Selects the nodes having every label of `labels` with the same value (all nodes for none). */
export function selectNodeNamesWithLabels(db: Kysely<Database>, labels: Record<string, string>) {
  let query = db.selectFrom("nodes").select("nodes.name");
  for (const [key, value] of Object.entries(labels)) {
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom("node_labels")
          .select("node_labels.node_name")
          .whereRef("node_labels.node_name", "=", "nodes.name")
          .where("node_labels.key", "=", key)
          .where("node_labels.value", "=", value),
      ),
    );
  }
  return query;
}

function nodeStateIs(eb: ExpressionBuilder<Database, "nodes">, state: NodeState, cutoff: number) {
  switch (state) {
    case "offline":
      return eb("last_heartbeat_time", "<", cutoff);
    case "cordoned":
      return eb.and([eb("cordoned", "=", 1), eb("last_heartbeat_time", ">=", cutoff)]);
    case "ready":
      return eb.and([eb("cordoned", "=", 0), eb("last_heartbeat_time", ">=", cutoff)]);
  }
}

function toNode(row: Selectable<NodeTable>, gpus: Selectable<GpuTable>[], cutoff: number): Node {
  const lastHeartbeat = Number(row.last_heartbeat_time);
  const state: NodeState = lastHeartbeat < cutoff ? "offline" : row.cordoned ? "cordoned" : "ready";
  return {
    name: row.name,
    labels: stringMapColumn(row.labels),
    state,
    gpus: gpus.map(toGpu),
    lastHeartbeatTime: new Date(lastHeartbeat),
    simulated: row.simulated === 1,
    createTime: new Date(Number(row.create_time)),
  };
}

function toGpu(row: Selectable<GpuTable>): Gpu {
  return {
    uuid: row.uuid,
    index: row.gpu_index,
    model: row.model,
    memoryBytes: Number(row.memory_bytes),
    state: row.unhealthy ? "unhealthy" : row.task_id !== null ? "allocated" : "free",
    taskId: row.task_id ?? "",
    utilizationPercent: row.utilization_percent ?? undefined,
  };
}
