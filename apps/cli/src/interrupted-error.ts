/**
 * Ctrl-C typed where the CLI reads the terminal itself (a hidden token
 * prompt), so that no SIGINT reached the process: the CLI exits with 130 as if
 * one had.
 */
export class InterruptedError extends Error {
  override name = "InterruptedError";

  constructor() {
    super("interrupted");
  }
}
