import type { Kysely, Selectable } from "kysely";
import { alreadyExists, failedPrecondition, notFound } from "../domain/errors.js";
import type { ResourceGroup } from "../domain/records.js";
import { stringListColumn, stringMapColumn, toJsonColumn } from "./json-columns.js";
import { selectNodeNamesWithLabels } from "./node-store.js";
import { type Page, type PageRequest, toPage } from "./pagination.js";
import type { Database, ResourceGroupTable } from "./schema.js";

/** A new resource group: everything the caller chooses. */
export type NewResourceGroup = Omit<ResourceGroup, "createTime" | "updateTime">;

/** Fields UpdateResourceGroup may change. */
export type ResourceGroupChanges = Partial<Pick<ResourceGroup, "description" | "nodeSelector">>;

/** A resource group with the nodes its selector matches now. */
export interface ResourceGroupWithNodes {
  group: ResourceGroup;
  nodeNames: string[];
}

/** Reads and writes resource groups. */
export interface ResourceGroupStore {
  /** Creates a group, or returns the group created earlier with the same request id. */
  createResourceGroup(group: NewResourceGroup, now: Date): Promise<ResourceGroupWithNodes>;
  getResourceGroup(name: string): Promise<ResourceGroupWithNodes>;
  listResourceGroups(page: PageRequest<string>): Promise<Page<ResourceGroupWithNodes>>;
  updateResourceGroup(
    name: string,
    changes: ResourceGroupChanges,
    now: Date,
  ): Promise<ResourceGroupWithNodes>;
  /** Deletes a group no queue uses. */
  deleteResourceGroup(name: string): Promise<void>;
}

/** Creates the resource group store over the database. */
export function createResourceGroupStore(db: Kysely<Database>): ResourceGroupStore {
  async function withNodes(group: ResourceGroup): Promise<ResourceGroupWithNodes> {
    const rows = await selectNodeNamesWithLabels(db, group.nodeSelector).orderBy("name").execute();
    return { group, nodeNames: rows.map((row) => row.name) };
  }

  return {
    async createResourceGroup(group, now) {
      const created = await db.transaction().execute(async (tx) => {
        if (group.requestId !== "") {
          const earlier = await tx
            .selectFrom("resource_groups")
            .selectAll()
            .where("request_id", "=", group.requestId)
            .executeTakeFirst();
          if (earlier !== undefined) {
            return toResourceGroup(earlier);
          }
        }
        if ((await findResourceGroup(tx, group.name)) !== undefined) {
          throw alreadyExists("resource group", group.name);
        }
        const row = {
          name: group.name,
          description: group.description,
          node_selector: toJsonColumn(group.nodeSelector),
          request_id: group.requestId === "" ? null : group.requestId,
          create_time: now.getTime(),
          update_time: now.getTime(),
        };
        await tx.insertInto("resource_groups").values(row).execute();
        return toResourceGroup(row);
      });
      return withNodes(created);
    },

    async getResourceGroup(name) {
      return withNodes(await getResourceGroup(db, name));
    },

    async listResourceGroups({ pageSize, after }) {
      let query = db
        .selectFrom("resource_groups")
        .selectAll()
        .orderBy("name")
        .limit(pageSize + 1);
      if (after !== undefined) {
        query = query.where("name", ">", after);
      }
      const page = toPage(await query.execute(), pageSize, (row) => row.name, toResourceGroup);
      return { ...page, items: await Promise.all(page.items.map(withNodes)) };
    },

    async updateResourceGroup(name, changes, now) {
      const updated = await db.transaction().execute(async (tx) => {
        const current = await getResourceGroup(tx, name);
        const next: ResourceGroup = { ...current, ...changes, updateTime: now };
        await tx
          .updateTable("resource_groups")
          .set({
            description: next.description,
            node_selector: toJsonColumn(next.nodeSelector),
            update_time: now.getTime(),
          })
          .where("name", "=", name)
          .execute();
        return next;
      });
      return withNodes(updated);
    },

    async deleteResourceGroup(name) {
      await db.transaction().execute(async (tx) => {
        await getResourceGroup(tx, name);
        const queues = await tx.selectFrom("queues").select(["name", "resource_groups"]).execute();
        const users = queues
          .filter((queue) => stringListColumn(queue.resource_groups).includes(name))
          .map((queue) => queue.name);
        if (users.length > 0) {
          throw failedPrecondition(
            "RESOURCE_GROUP_IN_USE",
            `resource group "${name}" is used by queue(s) ${users.join(", ")}; remove it from them before deleting it`,
          );
        }
        await tx.deleteFrom("resource_groups").where("name", "=", name).execute();
      });
    },
  };
}

async function findResourceGroup(
  db: Kysely<Database>,
  name: string,
): Promise<ResourceGroup | undefined> {
  const row = await db
    .selectFrom("resource_groups")
    .selectAll()
    .where("name", "=", name)
    .executeTakeFirst();
  return row === undefined ? undefined : toResourceGroup(row);
}

async function getResourceGroup(db: Kysely<Database>, name: string): Promise<ResourceGroup> {
  const group = await findResourceGroup(db, name);
  if (group === undefined) {
    throw notFound("resource group", name);
  }
  return group;
}

function toResourceGroup(row: Selectable<ResourceGroupTable>): ResourceGroup {
  return {
    name: row.name,
    description: row.description,
    nodeSelector: stringMapColumn(row.node_selector),
    requestId: row.request_id ?? "",
    createTime: new Date(Number(row.create_time)),
    updateTime: new Date(Number(row.update_time)),
  };
}
