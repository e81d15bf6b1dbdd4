import type { Node } from "@sherpa/proto";
import type { SherpaClient } from "@sherpa/sdk";
import { collectPages } from "../collect-pages.js";

/** Lists every node, page after page, ordered by name. */
export async function listAllNodes(client: SherpaClient, signal: AbortSignal): Promise<Node[]> {
  const { items } = await collectPages(async (pageToken, pageSize) => {
    const page = await client.nodes.listNodes({ pageToken, pageSize }, { signal });
    return { items: page.nodes, nextPageToken: page.nextPageToken };
  });
  return items;
}
