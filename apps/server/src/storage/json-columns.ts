/** Encodes a list or map for a JSON text column. */
export function toJsonColumn(value: readonly string[] | Record<string, string>): string {
  return JSON.stringify(value);
}

/** Decodes a JSON text column holding a list of strings. */
export function stringListColumn(text: string): string[] {
  return JSON.parse(text) as string[];
}

/** Decodes a JSON text column holding a map of strings. */
export function stringMapColumn(text: string): Record<string, string> {
  return JSON.parse(text) as Record<string, string>;
}
