import { type Kysely, type Migration, Migrator } from "kysely";
import { defaultQueueName, defaultResourceGroupName } from "../domain/defaults.js";
import type { Database } from "./schema.js";

/**
 * Schema migrations, applied in name order at start. Never change one that has
 * shipped; add a new one.
 */
const migrations: Record<string, Migration> = {
  "0001-initial": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("resource_groups")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("node_selector", "text", (c) => c.notNull())
        .addColumn("request_id", "text", (c) => c.unique())
        .addColumn("create_time", "bigint", (c) => c.notNull())
        .addColumn("update_time", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("queues")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("resource_groups", "text", (c) => c.notNull())
        .addColumn("gpu_quota", "integer", (c) => c.notNull())
        .addColumn("priority", "integer", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("request_id", "text", (c) => c.unique())
        .addColumn("create_time", "bigint", (c) => c.notNull())
        .addColumn("update_time", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("nodes")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("labels", "text", (c) => c.notNull())
        .addColumn("cordoned", "integer", (c) => c.notNull())
        .addColumn("simulated", "integer", (c) => c.notNull())
        .addColumn("last_heartbeat_time", "bigint", (c) => c.notNull())
        .addColumn("create_time", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("node_labels")
        .addColumn("node_name", "text", (c) =>
          c.notNull().references("nodes.name").onDelete("cascade"),
        )
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("value", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("node_labels_pk", ["node_name", "key"])
        .execute();
      await db.schema
        .createTable("gpus")
        .addColumn("uuid", "text", (c) => c.primaryKey())
        .addColumn("node_name", "text", (c) =>
          c.notNull().references("nodes.name").onDelete("cascade"),
        )
        .addColumn("gpu_index", "integer", (c) => c.notNull())
        .addColumn("model", "text", (c) => c.notNull())
        .addColumn("memory_bytes", "bigint", (c) => c.notNull())
        .addColumn("unhealthy", "integer", (c) => c.notNull())
        .addColumn("task_id", "text")
        .addColumn("utilization_percent", "integer")
        .execute();
      await db.schema
        .createTable("tasks")
        .addColumn("seq", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("id", "text", (c) => c.notNull().unique())
        .addColumn("queue", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("argv", "text", (c) => c.notNull())
        .addColumn("env", "text", (c) => c.notNull())
        .addColumn("gpu_count", "integer", (c) => c.notNull())
        .addColumn("gpu_model", "text", (c) => c.notNull())
        .addColumn("timeout_ms", "bigint")
        .addColumn("labels", "text", (c) => c.notNull())
        .addColumn("request_id", "text", (c) => c.unique())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("state_reason", "text", (c) => c.notNull())
        .addColumn("exit_code", "integer")
        .addColumn("node_name", "text", (c) => c.notNull())
        .addColumn("gpu_uuids", "text", (c) => c.notNull())
        .addColumn("create_time", "bigint", (c) => c.notNull())
        .addColumn("start_time", "bigint")
        .addColumn("end_time", "bigint")
        .execute();
      await db.schema
        .createIndex("tasks_queue_state")
        .on("tasks")
        .columns(["queue", "state"])
        .execute();
      await db.schema.createIndex("tasks_state").on("tasks").column("state").execute();
      await db.schema
        .createTable("task_labels")
        .addColumn("task_id", "text", (c) => c.notNull().references("tasks.id").onDelete("cascade"))
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("value", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("task_labels_pk", ["task_id", "key"])
        .execute();
      await db.schema
        .createIndex("task_labels_key_value")
        .on("task_labels")
        .columns(["key", "value"])
        .execute();
    },
  },
  // A resource group of every node and a queue using it, so that a submit works
  // with no setup. As a migration it runs once: an operator may change or
  // delete them afterwards.
  "0002-default-queue": {
    // biome-ignore lint/suspicious/noExplicitAny: a migration must not depend on today's schema types.
    async up(db: Kysely<any>) {
      const now = Date.now();
      await db
        .insertInto("resource_groups")
        .values({
          name: defaultResourceGroupName,
          description: "Every node (created on first start).",
          node_selector: "{}",
          request_id: null,
          create_time: now,
          update_time: now,
        })
        .execute();
      await db
        .insertInto("queues")
        .values({
          name: defaultQueueName,
          description: "Default queue (created on first start).",
          resource_groups: JSON.stringify([defaultResourceGroupName]),
          gpu_quota: 0,
          priority: 0,
          state: "open",
          request_id: null,
          create_time: now,
          update_time: now,
        })
        .execute();
    },
  },
  // Task output lines, and the reason a running task is being cancelled for.
  "0003-task-execution": {
    async up(db: Kysely<Database>) {
      await db.schema
        .createTable("task_logs")
        .addColumn("task_id", "text", (c) => c.notNull().references("tasks.id").onDelete("cascade"))
        .addColumn("offset", "bigint", (c) => c.notNull())
        .addColumn("stream", "text", (c) => c.notNull())
        .addColumn("text", "text", (c) => c.notNull())
        .addColumn("time", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("task_logs_pk", ["task_id", "offset"])
        .execute();
      await db.schema.alterTable("tasks").addColumn("cancel_reason", "text").execute();
      await db.schema.createIndex("gpus_task_id").on("gpus").column("task_id").execute();
      await db.schema
        .createIndex("tasks_node_state")
        .on("tasks")
        .columns(["node_name", "state"])
        .execute();
    },
  },
  // What agents with real GPUs measure at each heartbeat.
  "0004-gpu-memory-used": {
    async up(db: Kysely<Database>) {
      await db.schema.alterTable("gpus").addColumn("memory_used_bytes", "bigint").execute();
    },
  },
  // Who may call: API tokens, join tokens and node credentials, stored hashed;
  // and who submitted each task (tasks from before have no owner).
  "0005-access": {
    async up(db: Kysely<Database>) {
      await db.schema
        .createTable("credentials")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("role", "text")
        .addColumn("queues", "text", (c) => c.notNull())
        .addColumn("labels", "text", (c) => c.notNull())
        .addColumn("secret_hash", "text", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("create_time", "bigint", (c) => c.notNull())
        .addColumn("expire_time", "bigint")
        .addColumn("revoke_time", "bigint")
        .execute();
      await db.schema
        .createIndex("credentials_kind_name")
        .on("credentials")
        .columns(["kind", "name"])
        .execute();
      await db.schema
        .alterTable("tasks")
        .addColumn("owner", "text", (c) => c.notNull().defaultTo(""))
        .execute();
      await db.schema.createIndex("tasks_owner").on("tasks").column("owner").execute();
    },
  },
};

/** Applies every migration not yet applied; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === "Error");
    throw new Error(
      `database migration ${failed?.migrationName ?? "(unknown)"} failed: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
}
