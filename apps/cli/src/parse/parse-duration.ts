import { create } from "@bufbuild/protobuf";
import { type Duration, DurationSchema } from "@bufbuild/protobuf/wkt";
import { UsageError } from "../usage-error.js";

const unitMs: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const durationPattern = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const partPattern = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * Parses a positive duration such as "30s", "5m", "1h", "1h30m" or "30d" (units
 * ms, s, m, h and d, a day being 24 hours; decimals allowed, as in "1.5h") into
 * a google.protobuf.Duration with millisecond precision. Throws a UsageError naming `option` otherwise.
 */
export function parseDuration(text: string, option: string): Duration {
  if (!durationPattern.test(text)) {
    throw new UsageError(
      `${option} must be a duration such as 30s, 5m, 1h, 1h30m or 30d, got "${text}"`,
    );
  }
  let totalMs = 0;
  for (const [, amount, unit] of text.matchAll(partPattern)) {
    totalMs += Number(amount) * (unitMs[unit ?? ""] ?? 0);
  }
  const roundedMs = Math.round(totalMs);
  if (roundedMs <= 0) {
    throw new UsageError(`${option} must be longer than zero, got "${text}"`);
  }
  return create(DurationSchema, {
    seconds: BigInt(Math.floor(roundedMs / 1_000)),
    nanos: (roundedMs % 1_000) * 1_000_000,
  });
}
