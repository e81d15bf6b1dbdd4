import { mkdirSync } from "node:fs";
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { migrateToLatest } from "./migrations.js";
import type { Database } from "./schema.js";

/** Options for {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** Directory holding `sherpa.db`; created if missing. `:memory:` keeps everything in memory. */
  dataDir: string;
}

/**
 * Opens the SQLite database under the data directory and brings its schema up to
 * date. Queries go through Kysely so that the stores can later run unchanged on
 * PostgreSQL: only this file knows which engine is behind them.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Kysely<Database>> {
  const sqlite = new SqliteDatabase(sqliteFile(options.dataDir));
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

function sqliteFile(dataDir: string): string {
  if (dataDir === ":memory:") {
    return ":memory:";
  }
  mkdirSync(dataDir, { recursive: true });
  return join(dataDir, "sherpa.db");
}
