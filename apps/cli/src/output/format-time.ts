import { type Duration, type Timestamp, timestampMs } from "@bufbuild/protobuf/wkt";

/**
 * Formats a span of milliseconds the short way people read ages: "45s",
 * "12m", "3h", "5d" (whole units, rounded down; "0s" for less than a second).
 */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1_000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3_600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3_600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** Formats how long ago `time` was, relative to `nowMs`; "" when unset. */
export function formatAgeSince(time: Timestamp | undefined, nowMs: number): string {
  return time === undefined ? "" : formatAge(nowMs - timestampMs(time));
}

/** Formats a timestamp as UTC ISO 8601 to the second ("2024-05-01T12:00:00Z"); "" when unset. */
export function formatTimestamp(time: Timestamp | undefined): string {
  if (time === undefined) return "";
  return new Date(timestampMs(time)).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Formats a google.protobuf.Duration as hours, minutes and seconds ("1h30m", "45s", "1.5s"). */
export function formatDuration(duration: Duration | undefined): string {
  if (duration === undefined) return "";
  const totalSeconds = Number(duration.seconds) + duration.nanos / 1e9;
  const hours = Math.floor(totalSeconds / 3_600);
  const minutes = Math.floor((totalSeconds % 3_600) / 60);
  const seconds = Math.round((totalSeconds % 60) * 1_000) / 1_000;
  const parts = [hours > 0 ? `${hours}h` : "", minutes > 0 ? `${minutes}m` : ""];
  if (seconds > 0 || (hours === 0 && minutes === 0)) parts.push(`${seconds}s`);
  return parts.join("");
}

/** Formats elapsed milliseconds as a running clock reads: "7s", "3m05s", "1h02m03s". */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1_000));
  const [hours, minutes, seconds] = [
    Math.floor(total / 3_600),
    Math.floor(total / 60) % 60,
    total % 60,
  ];
  const pad = (value: number) => String(value).padStart(2, "0");
  if (hours > 0) return `${hours}h${pad(minutes)}m${pad(seconds)}s`;
  if (minutes > 0) return `${minutes}m${pad(seconds)}s`;
  return `${seconds}s`;
}
