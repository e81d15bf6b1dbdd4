/**
 * Renders rows as a table with a header line, each column as wide as its widest
 * cell and two spaces between columns; lines carry no trailing spaces. A table
 * without rows is its header alone.
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const lines = [headers, ...rows];
  const widths = headers.map((_, column) =>
    Math.max(...lines.map((line) => (line[column] ?? "").length)),
  );
  return lines
    .map((line) =>
      widths
        .map((width, column) => (line[column] ?? "").padEnd(width))
        .join("  ")
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join("");
}
