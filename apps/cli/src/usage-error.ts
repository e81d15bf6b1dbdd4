/**
 * A mistake in the command line: an unknown command or option, a missing or
 * malformed value. The CLI prints the message and the command's usage, and
 * exits with status 2.
 */
export class UsageError extends Error {
  override name = "UsageError";
}
