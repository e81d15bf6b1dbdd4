import { UsageError } from "../usage-error.js";

/** The range an integer option accepts. */
export interface IntegerRange {
  /** Smallest value accepted. */
  readonly min: number;
  /** Largest value accepted; 2^31 - 1 unless set. */
  readonly max?: number;
}

/**
 * Parses a decimal integer option value within `range`. Throws a UsageError
 * naming `option` for anything else, including "1.5", "1e3" and "".
 */
export function parseInteger(text: string, option: string, range: IntegerRange): number {
  const max = range.max ?? 2 ** 31 - 1;
  const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < range.min || value > max) {
    throw new UsageError(`${option} must be an integer from ${range.min} to ${max}, got "${text}"`);
  }
  return value;
}
