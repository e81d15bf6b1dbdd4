/** Formats a string map as "a=1, b=2", sorted by key; "" when empty. */
export function formatPairs(pairs: Readonly<Record<string, string>>): string {
  return Object.entries(pairs)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`)
    .join(", ");
}
