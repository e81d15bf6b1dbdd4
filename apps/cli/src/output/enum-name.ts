/**
 * The name of a protobuf enum value as people read it, without its prefix
 * (`TaskState.TIMED_OUT` gives "TIMED_OUT"); the number when unknown, which
 * happens when the server is newer than the CLI.
 */
export function enumName(enumObject: Readonly<Record<number, string>>, value: number): string {
  return enumObject[value] ?? String(value);
}
