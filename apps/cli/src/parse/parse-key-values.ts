import { UsageError } from "../usage-error.js";

/**
 * Turns repeated `KEY=VALUE` option values into a record; the value is
 * everything after the first "=" and may be empty, and a later key wins.
 * Throws a UsageError naming `option` when an entry has no "=" or no key.
 */
export function parseKeyValues(entries: readonly string[], option: string): Record<string, string> {
  const record: Record<string, string> = {};
  for (const entry of entries) {
    const separator = entry.indexOf("=");
    if (separator <= 0) {
      throw new UsageError(`${option} must be KEY=VALUE, got "${entry}"`);
    }
    record[entry.slice(0, separator)] = entry.slice(separator + 1);
  }
  return record;
}
