import type { AgentLogger } from "./agent-logger.js";

/** Log levels, lowest first; "silent" logs nothing. */
export const logLevels = ["info", "warn", "error", "silent"] as const;

/** One of logLevels. */
export type LogLevel = (typeof logLevels)[number];

/** Numeric levels as pino writes them, so pino-pretty and log pipelines read the lines. */
const pinoLevels = { info: 30, warn: 40, error: 50 } as const;

/** Options of createJsonLogger. */
export interface JsonLoggerOptions {
  /** Lowest level written. */
  level: LogLevel;
  /** Where each line goes; standard output unless set. */
  write?: (line: string) => void;
  /** Clock, for tests; Date.now unless set. */
  now?: () => number;
}

/**
 * Creates an AgentLogger writing one JSON object per line in pino's shape:
 * `{"level":30,"time":...,"name":"sherpa-agent",...fields,"msg":"..."}`.
 */
export function createJsonLogger(options: JsonLoggerOptions): AgentLogger {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const now = options.now ?? Date.now;
  const threshold = logLevels.indexOf(options.level);
  const at =
    (level: keyof typeof pinoLevels) =>
    (fields: object, message: string): void => {
      if (logLevels.indexOf(level) < threshold) {
        return;
      }
      const record = {
        level: pinoLevels[level],
        time: now(),
        name: "sherpa-agent",
        ...fields,
        msg: message,
      };
      write(
        `${JSON.stringify(record, (_key, value) => (typeof value === "bigint" ? value.toString() : value))}\n`,
      );
    };
  return { info: at("info"), warn: at("warn"), error: at("error") };
}
