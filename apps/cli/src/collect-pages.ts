/** One page of a List call. */
export interface Page<Item> {
  /** The page's items. */
  readonly items: readonly Item[];
  /** Token of the next page; empty on the last page. */
  readonly nextPageToken: string;
}

/** What `collectPages` gathered. */
export interface CollectedPages<Item> {
  /** Up to `limit` items, in the server's order. */
  readonly items: Item[];
  /** Whether the server has more items than were collected. */
  readonly more: boolean;
}

/** The largest page the API serves. */
const maxPageSize = 1_000;

/**
 * Calls a paginated List method page after page, passing each page's
 * next_page_token to the next call, until `limit` items are collected
 * (Infinity for all of them) or the last page is reached.
 */
export async function collectPages<Item>(
  fetchPage: (pageToken: string, pageSize: number) => Promise<Page<Item>>,
  limit = Number.POSITIVE_INFINITY,
): Promise<CollectedPages<Item>> {
  const items: Item[] = [];
  let pageToken = "";
  do {
    const page = await fetchPage(pageToken, Math.min(limit - items.length, maxPageSize));
    items.push(...page.items.slice(0, limit - items.length));
    pageToken = page.nextPageToken;
  } while (pageToken !== "" && items.length < limit);
  return { items, more: pageToken !== "" };
}
