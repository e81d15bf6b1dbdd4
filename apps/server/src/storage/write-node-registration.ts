import type { Kysely } from "kysely";
import type { Gpu } from "../domain/records.js";
import { toJsonColumn } from "./json-columns.js";
import type { Database } from "./schema.js";

/** What an agent reports when it registers its node. */
export interface NodeRegistration {
  name: string;
  labels: Record<string, string>;
  simulated: boolean;
  gpus: Pick<Gpu, "uuid" | "index" | "model" | "memoryBytes">[];
}

/**
 * Creates or refreshes a node, its labels and its GPU inventory in one
 * transaction; the registration counts as a heartbeat.
 */
export async function writeNodeRegistration(
  db: Kysely<Database>,
  registration: NodeRegistration,
  now: Date,
): Promise<void> {
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
}
