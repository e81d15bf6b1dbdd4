/**
 * Renders labelled values one per line, the values aligned ("State:  RUNNING");
 * fields whose value is undefined or empty are left out.
 */
export function renderFields(fields: readonly (readonly [string, string | undefined])[]): string {
  const shown = fields.filter((field): field is readonly [string, string] => Boolean(field[1]));
  const width = Math.max(...shown.map(([label]) => label.length + 1));
  return shown.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${value}\n`).join("");
}
