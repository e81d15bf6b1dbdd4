import { parseArgs } from "node:util";

/** Everything the server is configured with, validated at start. */
export interface ServerConfig {
  /** Host or IP address to listen on. */
  host: string;
  /** TCP port to listen on; 0 picks a free one. */
  port: number;
  /** Directory of the SQLite database; `:memory:` for a throwaway one. */
  dataDir: string;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: string;
  /** Largest request message accepted, in bytes. */
  maxMessageBytes: number;
  /** A node whose agent has not reported for this long is OFFLINE. */
  nodeOfflineAfterMs: number;
  /** How long in-flight calls may run on after SIGTERM or SIGINT before they are cut. */
  shutdownGraceMs: number;
}

/** One setting: its environment variable, its flag, its default and how to read it. */
interface Setting<K extends keyof ServerConfig> {
  key: K;
  env: string;
  flag: string;
  defaultValue: string;
  description: string;
  parse: (text: string) => ServerConfig[K] | undefined;
  allowed: string;
}

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

function integerIn(min: number, max: number) {
  return (text: string) => {
    const value = Number(text);
    return /^\d+$/.test(text) && value >= min && value <= max ? value : undefined;
  };
}

/** Every setting; `--help` and the README's settings table are made from this list. */
export const settings: readonly Setting<keyof ServerConfig>[] = [
  {
    key: "host",
    env: "SHERPA_HOST",
    flag: "host",
    defaultValue: "0.0.0.0",
    description: "Host or IP address to listen on.",
    parse: (text) => (text.trim() === "" ? undefined : text.trim()),
    allowed: "a host name or IP address",
  },
  {
    key: "port",
    env: "SHERPA_PORT",
    flag: "port",
    defaultValue: "8080",
    description:
      "Port serving HTTP/1.1 and cleartext HTTP/2 (gRPC, gRPC-Web, Connect); 0 picks a free port.",
    parse: integerIn(0, 65535),
    allowed: "an integer from 0 to 65535",
  },
  {
    key: "dataDir",
    env: "SHERPA_DATA_DIR",
    flag: "data-dir",
    defaultValue: "./data",
    description: "Directory holding the SQLite database sherpa.db (created if missing).",
    parse: (text) => (text === "" ? undefined : text),
    allowed: "a directory path, or :memory:",
  },
  {
    key: "logLevel",
    env: "SHERPA_LOG_LEVEL",
    flag: "log-level",
    defaultValue: "info",
    description: "Log level.",
    parse: (text) => (logLevels.includes(text) ? text : undefined),
    allowed: logLevels.join(", "),
  },
  {
    key: "maxMessageBytes",
    env: "SHERPA_MAX_MESSAGE_BYTES",
    flag: "max-message-bytes",
    defaultValue: String(4 * 1024 * 1024),
    description: "Largest request message accepted, in bytes; larger ones get ResourceExhausted.",
    parse: integerIn(1024, 256 * 1024 * 1024),
    allowed: "an integer from 1024 to 268435456",
  },
  {
    key: "nodeOfflineAfterMs",
    env: "SHERPA_NODE_OFFLINE_AFTER_MS",
    flag: "node-offline-after-ms",
    defaultValue: "30000",
    description: "A node whose agent has not reported for this many milliseconds is OFFLINE.",
    parse: integerIn(1000, 24 * 60 * 60 * 1000),
    allowed: "an integer from 1000 to 86400000",
  },
  {
    key: "shutdownGraceMs",
    env: "SHERPA_SHUTDOWN_GRACE_MS",
    flag: "shutdown-grace-ms",
    defaultValue: "10000",
    description: "On SIGTERM or SIGINT, how long in-flight calls may finish before they are cut.",
    parse: integerIn(0, 10 * 60 * 1000),
    allowed: "an integer from 0 to 600000",
  },
];

/** A configuration mistake; main prints it and exits with status 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** What the command line asked for: a configuration, or the help text. */
export type LoadedConfig =
  | { kind: "config"; config: ServerConfig }
  | { kind: "help"; text: string };

/**
 * Builds the configuration from flags (which win), then `SHERPA_*` environment
 * variables, then defaults. Every bad value is reported at once, naming the
 * setting and what it allows.
 */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): LoadedConfig {
  const { values } = parseFlags(argv);
  if (values.help === true) {
    return { kind: "help", text: helpText() };
  }
  const problems: string[] = [];
  const config: Partial<Record<keyof ServerConfig, unknown>> = {};
  for (const setting of settings) {
    const flagValue = values[setting.flag];
    const text =
      typeof flagValue === "string" ? flagValue : (env[setting.env] ?? setting.defaultValue);
    const value = setting.parse(text);
    if (value === undefined) {
      problems.push(`${setting.env} (--${setting.flag}) is "${text}"; allowed: ${setting.allowed}`);
    }
    config[setting.key] = value;
  }
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  return { kind: "config", config: config as ServerConfig };
}

function parseFlags(argv: readonly string[]) {
  const options = Object.fromEntries([
    ["help", { type: "boolean" as const, short: "h" }],
    ...settings.map((setting) => [setting.flag, { type: "string" as const }]),
  ]);
  try {
    const { values } = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: false,
    });
    return { values: values as Record<string, string | boolean | undefined> };
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}; see --help`);
  }
}

/** The `--help` text: every flag with its environment variable and default. */
export function helpText(): string {
  const lines = settings.map(
    (s) =>
      `  --${s.flag} <value>\n      ${s.description}\n      env ${s.env}, default ${s.defaultValue}`,
  );
  return `Usage: sherpa-server [flags]\n\nRuns the Sherpa control plane.\n\nFlags:\n${lines.join("\n")}\n  -h, --help\n      Show this help.\n`;
}
