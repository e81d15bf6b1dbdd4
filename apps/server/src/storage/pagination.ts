import { invalidArgument } from "../domain/errors.js";

/** One page of a listing. */
export interface Page<T> {
  items: T[];
  /** Opaque token for the next page; empty on the last page. */
  nextPageToken: string;
}

/** What a store needs to read one page: how many rows, and where the previous page ended. */
export interface PageRequest<Key> {
  pageSize: number;
  after: Key | undefined;
}

/**
 * Reads a page token: base64url JSON of the last key of the previous page. A
 * token that does not decode to a key of the expected type is the caller's
 * mistake (InvalidArgument on `page_token`).
 */
export function decodePageToken<Key extends string | number>(
  token: string,
  keyType: "string" | "number",
): Key | undefined {
  if (token === "") {
    return undefined;
  }
  try {
    const key: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (typeof key === keyType) {
      return key as Key;
    }
  } catch {
    // Falls through to the error below: a token we did not issue.
  }
  throw invalidArgument(
    "page_token",
    "page_token is not valid; pass next_page_token of the previous page",
  );
}

/**
 * Turns up to pageSize + 1 rows, read in order, into a page: the extra row only
 * tells that another page exists.
 */
export function toPage<Row, Item, Key>(
  rows: Row[],
  pageSize: number,
  keyOf: (row: Row) => Key,
  toItem: (row: Row) => Item,
): Page<Item> {
  const pageRows = rows.slice(0, pageSize);
  const last = pageRows.at(-1);
  const hasMore = rows.length > pageSize && last !== undefined;
  return {
    items: pageRows.map(toItem),
    nextPageToken: hasMore ? Buffer.from(JSON.stringify(keyOf(last))).toString("base64url") : "",
  };
}
