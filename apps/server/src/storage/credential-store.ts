import type { Kysely, Selectable } from "kysely";
import { type Credential, isUsable, type Role, type TokenKind } from "../domain/credential.js";
import { alreadyExists, failedPrecondition, notFound } from "../domain/errors.js";
import { stringListColumn, stringMapColumn, toJsonColumn } from "./json-columns.js";
import { type Page, type PageRequest, toPage } from "./pagination.js";
import type { CredentialTable, Database } from "./schema.js";

/** A credential to store: everything but the times the store sets. */
export type NewCredential = Omit<Credential, "createTime" | "revokeTime">;

/** Filters of a credential listing. */
export interface CredentialFilter {
  /** Only this kind; undefined for every kind. */
  kind: TokenKind | undefined;
  /** Include revoked, used and expired credentials. */
  includeInactive: boolean;
}

/** Reads and writes tokens (hashed). */
export interface CredentialStore {
  addCredential(credential: NewCredential, now: Date): Promise<Credential>;
  /** The credential of an ID, usable or not; undefined when there is none. */
  findCredential(id: string): Promise<Credential | undefined>;
  /** A usable API token of a name, if any (the first-start admin token is found so). */
  findUsableApiToken(name: string, now: Date): Promise<Credential | undefined>;
  /** Newest first. */
  listCredentials(
    page: PageRequest<string>,
    filter: CredentialFilter,
    now: Date,
  ): Promise<Page<Credential>>;
  /** Revokes a credential; revoking a revoked one changes nothing. */
  revokeCredential(id: string, now: Date): Promise<Credential>;
  /** Revokes the usable credential of a node. */
  revokeNodeCredential(nodeName: string, now: Date): Promise<Credential>;
  /**
   * Uses a join token up and stores the node credential made with it, at once:
   * fails if the join token is no longer usable or the node name has a usable
   * credential already.
   */
  enrollNode(joinTokenId: string, nodeCredential: NewCredential, now: Date): Promise<Credential>;
}

/** Creates the credential store over the database. */
export function createCredentialStore(db: Kysely<Database>): CredentialStore {
  return {
    async addCredential(credential, now) {
      await db.insertInto("credentials").values(toRow(credential, now)).execute();
      return getCredential(db, credential.id);
    },

    async findCredential(id) {
      const row = await db
        .selectFrom("credentials")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirst();
      return row === undefined ? undefined : toCredential(row);
    },

    async findUsableApiToken(name, now) {
      const rows = await db
        .selectFrom("credentials")
        .selectAll()
        .where("kind", "=", "api")
        .where("name", "=", name)
        .where("revoke_time", "is", null)
        .execute();
      return rows.map(toCredential).find((credential) => isUsable(credential, now));
    },

    async listCredentials({ pageSize, after }, filter, now) {
      let query = db
        .selectFrom("credentials")
        .selectAll()
        .orderBy("create_time", "desc")
        .orderBy("id", "desc")
        .limit(pageSize + 1);
      if (after !== undefined) {
        const [time, id] = after.split("/");
        query = query.where((eb) =>
          eb.or([
            eb("create_time", "<", Number(time)),
            eb.and([eb("create_time", "=", Number(time)), eb("id", "<", id ?? "")]),
          ]),
        );
      }
      if (filter.kind !== undefined) {
        query = query.where("kind", "=", filter.kind);
      }
      if (!filter.includeInactive) {
        query = query
          .where("revoke_time", "is", null)
          .where((eb) =>
            eb.or([eb("expire_time", "is", null), eb("expire_time", ">", now.getTime())]),
          );
      }
      return toPage(
        await query.execute(),
        pageSize,
        (row) => `${row.create_time}/${row.id}`,
        toCredential,
      );
    },

    async revokeCredential(id, now) {
      await db
        .updateTable("credentials")
        .set({ revoke_time: now.getTime() })
        .where("id", "=", id)
        .where("revoke_time", "is", null)
        .execute();
      return getCredential(db, id);
    },

    async revokeNodeCredential(nodeName, now) {
      const row = await db
        .selectFrom("credentials")
        .selectAll()
        .where("kind", "=", "node")
        .where("name", "=", nodeName)
        .where("revoke_time", "is", null)
        .executeTakeFirst();
      if (row === undefined) {
        throw notFound("node credential", nodeName);
      }
      await db
        .updateTable("credentials")
        .set({ revoke_time: now.getTime() })
        .where("id", "=", row.id)
        .execute();
      return getCredential(db, row.id);
    },

    enrollNode(joinTokenId, nodeCredential, now) {
      return db.transaction().execute(async (tx) => {
        const used = await tx
          .updateTable("credentials")
          .set({ revoke_time: now.getTime() })
          .where("id", "=", joinTokenId)
          .where("kind", "=", "join")
          .where("revoke_time", "is", null)
          .where((eb) =>
            eb.or([eb("expire_time", "is", null), eb("expire_time", ">", now.getTime())]),
          )
          .executeTakeFirst();
        if (used.numUpdatedRows !== 1n) {
          throw failedPrecondition(
            "JOIN_TOKEN_USED",
            "the join token has been used, revoked or has expired",
          );
        }
        const taken = await tx
          .selectFrom("credentials")
          .select("id")
          .where("kind", "=", "node")
          .where("name", "=", nodeCredential.name)
          .where("revoke_time", "is", null)
          .executeTakeFirst();
        if (taken !== undefined) {
          throw alreadyExists("enrolled node", nodeCredential.name);
        }
        await tx.insertInto("credentials").values(toRow(nodeCredential, now)).execute();
        return getCredential(tx, nodeCredential.id);
      });
    },
  };
}

async function getCredential(db: Kysely<Database>, id: string): Promise<Credential> {
  const row = await db
    .selectFrom("credentials")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  if (row === undefined) {
    throw notFound("token", id);
  }
  return toCredential(row);
}

function toRow(credential: NewCredential, now: Date): CredentialTable {
  return {
    id: credential.id,
    kind: credential.kind,
    name: credential.name,
    role: credential.role ?? null,
    queues: toJsonColumn(credential.queues),
    labels: toJsonColumn(credential.labels),
    secret_hash: credential.secretHash,
    created_by: credential.createdBy,
    create_time: now.getTime(),
    expire_time: credential.expireTime?.getTime() ?? null,
    revoke_time: null,
  };
}

function toCredential(row: Selectable<CredentialTable>): Credential {
  return {
    id: row.id,
    kind: row.kind as TokenKind,
    name: row.name,
    role: (row.role ?? undefined) as Role | undefined,
    queues: stringListColumn(row.queues),
    labels: stringMapColumn(row.labels),
    secretHash: row.secret_hash,
    createdBy: row.created_by,
    createTime: new Date(Number(row.create_time)),
    expireTime: row.expire_time === null ? undefined : new Date(Number(row.expire_time)),
    revokeTime: row.revoke_time === null ? undefined : new Date(Number(row.revoke_time)),
  };
}
