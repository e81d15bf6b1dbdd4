import type { AgentLogger } from "../agent-logger.js";

/** One line a recording logger received. */
export interface RecordedLogLine {
  level: "info" | "warn" | "error";
  fields: object;
  message: string;
}

/** An AgentLogger that keeps every line, for tests to look at. */
export function createRecordingLogger(): AgentLogger & { lines: RecordedLogLine[] } {
  const lines: RecordedLogLine[] = [];
  const record =
    (level: RecordedLogLine["level"]) =>
    (fields: object, message: string): void => {
      lines.push({ level, fields, message });
    };
  return {
    lines,
    info: record("info"),
    warn: record("warn"),
    error: record("error"),
  };
}
