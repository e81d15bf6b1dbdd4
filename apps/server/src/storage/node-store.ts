import type { ExpressionBuilder, Kysely, Selectable } from "kysely";
import { notFound } from "../domain/errors.js";
import type { Gpu, Node, NodeState } from "../domain/records.js";
import { stringMapColumn, toJsonColumn } from "./json-columns.js";
import { type Page, type PageRequest, toPage } from "./pagination.js";
import type { Database, GpuTable, NodeTable } from "./schema.js";

/** What an agent reports when it registers its node. */
export interface NodeRegistration {
  name: string;
  labels: Record<string, string>;
  simulated: boolean;
  gpus: Pick<Gpu, "uuid" | "index" | "model" | "memoryBytes">[];
}

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

  async function toNodes(rows: Selectable<NodeTable>[], now: Date): Promise<Node[]> {
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
        cutoffOf(now),
      ),
    );
  }

  async function getNode(name: string, now: Date): Promise<Node> {
    const row = await db
      .selectFrom("nodes")
      .selectAll()
      .where("name", "=", name)
      .executeTakeFirst();
    const [node] = await toNodes(row === undefined ? [] : [row], now);
    if (node === undefined) {
      throw notFound("node", name);
    }
    return node;
  }

  return {
    async registerNode(registration, now) {
      await db.transaction().execute(async (tx) => {
        const time = now.getTime();
        await tx
          .insertInto("nodes")
          .values({
            name: registration.name,
            labels: toJsonColumn(registration.labels),
            cordoned: 0,
            simulated: registration.simulated ? 1 : 0,
            last_heartbeat_time: time,
            create_time: time,
          })
          .onConflict((oc) =>
            oc.column("name").doUpdateSet({
              labels: toJsonColumn(registration.labels),
              simulated: registration.simulated ? 1 : 0,
              last_heartbeat_time: time,
            }),
          )
          .execute();
        await tx.deleteFrom("node_labels").where("node_name", "=", registration.name).execute();
        const labels = Object.entries(registration.labels);
        if (labels.length > 0) {
          await tx
            .insertInto("node_labels")
            .values(labels.map(([key, value]) => ({ node_name: registration.name, key, value })))
            .execute();
        }
        for (const gpu of registration.gpus) {
          await tx
            .insertInto("gpus")
            .values({
              uuid: gpu.uuid,
              node_name: registration.name,
              gpu_index: gpu.index,
              model: gpu.model,
              memory_bytes: gpu.memoryBytes,
              unhealthy: 0,
              task_id: null,
              utilization_percent: null,
              memory_used_bytes: null,
            })
            .onConflict((oc) =>
              oc.column("uuid").doUpdateSet({
                node_name: registration.name,
                gpu_index: gpu.index,
                model: gpu.model,
                memory_bytes: gpu.memoryBytes,
              }),
            )
            .execute();
        }
      });
      return getNode(registration.name, now);
    },

    getNode,

    async listNodes({ pageSize, after }, filter, now) {
      let query = selectNodeNamesWithLabels(db, filter.labels)
        .selectAll()
        .orderBy("name")
        .limit(pageSize + 1);
      if (after !== undefined) {
        query = query.where("name", ">", after);
      }
      if (filter.states.length > 0) {
        const cutoff = cutoffOf(now);
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
      return { ...page, items: await toNodes(page.items, now) };
    },

    async setCordoned(name, cordoned, now) {
      const result = await db
        .updateTable("nodes")
        .set({ cordoned: cordoned ? 1 : 0 })
        .where("name", "=", name)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) {
        throw notFound("node", name);
      }
      return getNode(name, now);
    },
  };
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
