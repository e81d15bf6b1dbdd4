/**
 * Splits option values such as `--queues a,b` into their items, trimmed, empty
 * ones dropped; repeated options (`--queues a --queues b`) add up.
 */
export function parseCommaList(values: readonly string[]): string[] {
  return values
    .flatMap((value) => value.split(","))
    .map((item) => item.trim())
    .filter((item) => item !== "");
}
