import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseSimulatedGpus } from "./gpu/parse-simulated-gpus.js";
import { type LogLevel, logLevels } from "./json-logger.js";
import { taskBaseEnvironment } from "./runner/task-environment.js";

/** Everything sherpa-agent is configured with, validated at start. */
export interface AgentConfig {
  /** Base URL of the Sherpa server, spoken to over gRPC (HTTP/2). */
  server: string;
  /** The node's unique name. */
  nodeName: string;
  /** Labels resource groups select the node by. */
  labels: Record<string, string>;
  /** Simulated GPU inventory, used only when nvidia-smi is absent or fails; empty for none. */
  gpus: string;
  /** The nvidia-smi program. */
  nvidiaSmi: string;
  /** Absolute path of the agent's directory; tasks run in `<workDir>/tasks/<id>`. */
  workDir: string;
  /** Absolute path of the directory the node credential is kept in (`credential.json`). */
  stateDir: string;
  /** The join token (`shj_...`) to enroll the node with when it has no credential; empty for none. */
  joinToken: string;
  /** Time between SIGTERM and SIGKILL when a task is stopped. */
  cancelGraceMs: number;
  /** Lowest level logged. */
  logLevel: LogLevel;
  /** The variables of the agent's environment that tasks get (see taskBaseEnvironment). */
  taskBaseEnv: Record<string, string>;
}

/** The settings that come from flags, environment variables and defaults. */
type SettingKey = Exclude<keyof AgentConfig, "taskBaseEnv">;

/** One setting: its environment variable, its flag, its default and how to read it. */
interface Setting<K extends SettingKey> {
  key: K;
  env: string;
  flag: string;
  /** The default; a function for defaults that depend on the machine or on settings before it. */
  defaultValue: string | ((context: DefaultContext) => string);
  /** The default as `--help` shows it, for a function default. */
  defaultText?: string;
  description: string;
  parse: (text: string) => AgentConfig[K] | undefined;
  allowed: string;
  /** A secret: a bad value is not repeated in the error message. */
  secret?: boolean;
}

/** What a default may depend on. */
interface DefaultContext {
  machine: MachineFacts;
  /** The settings read so far, those listed before. */
  config: Partial<AgentConfig>;
}

/** What defaults depend on, passed in so tests do not depend on the machine. */
export interface MachineFacts {
  hostname: string;
}

const labelKey = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/;

function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  for (const entry of text.split(",").map((part) => part.trim())) {
    if (entry === "") {
      continue;
    }
    const separator = entry.indexOf("=");
    const key = entry.slice(0, separator).trim();
    if (separator === -1 || !labelKey.test(key) || key in labels) {
      return undefined;
    }
    labels[key] = entry.slice(separator + 1).trim();
  }
  return labels;
}

function parseServerUrl(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? text : undefined;
  } catch {
    return undefined;
  }
}

function parseJoinToken(text: string): string | undefined {
  const token = text.trim();
  return token === "" || /^shj_\S+$/.test(token) ? token : undefined;
}

function parseDirectory(text: string): string | undefined {
  return text.trim() === "" ? undefined : resolve(text.trim());
}

function parseSimulatedSpec(text: string): string | undefined {
  try {
    parseSimulatedGpus(text, "check");
    return text.trim();
  } catch {
    return undefined;
  }
}

/** Every setting; `--help` and the README's settings table are made from this list. */
export const agentSettings: readonly Setting<SettingKey>[] = [
  {
    key: "server",
    env: "SHERPA_SERVER",
    flag: "server",
    defaultValue: "http://localhost:8080",
    description: "Base URL of the Sherpa server; the agent speaks gRPC to it (h2c for http://).",
    parse: parseServerUrl,
    allowed: "an http:// or https:// URL",
  },
  {
    key: "nodeName",
    env: "SHERPA_NODE_NAME",
    flag: "node-name",
    defaultValue: ({ machine }) => machine.hostname,
    defaultText: "the host name",
    description: "The node's unique name.",
    parse: (text) => (/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(text) ? text : undefined),
    allowed: "1 to 253 letters, digits, '.', '_' or '-', starting with a letter or digit",
  },
  {
    key: "labels",
    env: "SHERPA_NODE_LABELS",
    flag: "labels",
    defaultValue: "",
    description:
      "Labels resource groups select the node by, as key=value pairs separated by commas.",
    parse: parseLabels,
    allowed:
      "empty or key=value,key2=value2 with distinct keys of letters, digits, '.', '_', '/', '-'",
  },
  {
    key: "gpus",
    env: "SHERPA_AGENT_GPUS",
    flag: "gpus",
    defaultValue: "",
    description:
      "Simulated GPUs, served (marked simulated) only when nvidia-smi is absent or fails; empty for none.",
    parse: parseSimulatedSpec,
    allowed:
      "empty or COUNTxMODEL entries separated by commas, for example 4xNVIDIA A100-SXM4-80GB",
  },
  {
    key: "nvidiaSmi",
    env: "SHERPA_AGENT_NVIDIA_SMI",
    flag: "nvidia-smi",
    defaultValue: "nvidia-smi",
    description: "The nvidia-smi program used to find and measure real GPUs.",
    parse: (text) => (text.trim() === "" ? undefined : text.trim()),
    allowed: "a program name or path",
  },
  {
    key: "workDir",
    env: "SHERPA_AGENT_WORK_DIR",
    flag: "work-dir",
    defaultValue: "./data/agent",
    description: "The agent's directory; each task runs in <work-dir>/tasks/<task id> (created).",
    parse: parseDirectory,
    allowed: "a directory path",
  },
  {
    key: "stateDir",
    env: "SHERPA_AGENT_STATE_DIR",
    flag: "state-dir",
    defaultValue: ({ config }) => join(config.workDir ?? ".", "state"),
    defaultText: "<work-dir>/state",
    description:
      "Where the node's credential is kept (credential.json, readable by the agent's user only).",
    parse: parseDirectory,
    allowed: "a directory path",
  },
  {
    key: "joinToken",
    env: "SHERPA_JOIN_TOKEN",
    flag: "join-token",
    defaultValue: "",
    description:
      "Join token (from `sherpa nodes join-token create`) the node enrolls with once, when it has no credential yet.",
    parse: parseJoinToken,
    allowed: "empty, or a join token starting with shj_",
    secret: true,
  },
  {
    key: "cancelGraceMs",
    env: "SHERPA_AGENT_CANCEL_GRACE_MS",
    flag: "cancel-grace-ms",
    defaultValue: "10000",
    description: "When a task is cancelled or times out, milliseconds between SIGTERM and SIGKILL.",
    parse: (text) => (/^\d+$/.test(text) && Number(text) <= 3_600_000 ? Number(text) : undefined),
    allowed: "an integer from 0 to 3600000",
  },
  {
    key: "logLevel",
    env: "SHERPA_LOG_LEVEL",
    flag: "log-level",
    defaultValue: "info",
    description: "Lowest level logged (JSON lines on standard output).",
    parse: (text) => logLevels.find((level) => level === text),
    allowed: logLevels.join(", "),
  },
];

/** A configuration mistake; main prints it and exits with status 2. */
export class AgentConfigError extends Error {
  override name = "AgentConfigError";
}

/** What the command line asked for: a configuration, or the help text. */
export type LoadedAgentConfig =
  | { kind: "config"; config: AgentConfig }
  | { kind: "help"; text: string };

/**
 * Builds the configuration from flags (which win), then `SHERPA_*` environment
 * variables, then defaults. Every bad value is reported at once, naming the
 * setting and what it allows. Also picks, from `env`, the base environment of
 * tasks: the only part of the agent's environment they get.
 */
export function loadAgentConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  machine: MachineFacts,
): LoadedAgentConfig {
  const values = parseFlags(argv);
  if (values.help === true) {
    return { kind: "help", text: agentHelpText() };
  }
  const problems: string[] = [];
  const config: Partial<Record<SettingKey, unknown>> = {};
  for (const setting of agentSettings) {
    const flagValue = values[setting.flag];
    const fallback =
      typeof setting.defaultValue === "function"
        ? setting.defaultValue({ machine, config: config as Partial<AgentConfig> })
        : setting.defaultValue;
    const text = typeof flagValue === "string" ? flagValue : (env[setting.env] ?? fallback);
    const value = setting.parse(text);
    if (value === undefined) {
      const shown = setting.secret === true ? "not valid" : `"${text}"`;
      problems.push(`${setting.env} (--${setting.flag}) is ${shown}; allowed: ${setting.allowed}`);
    }
    config[setting.key] = value;
  }
  if (problems.length > 0) {
    throw new AgentConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  const settings = config as Omit<AgentConfig, "taskBaseEnv">;
  return { kind: "config", config: { ...settings, taskBaseEnv: taskBaseEnvironment(env) } };
}

function parseFlags(argv: readonly string[]): Record<string, string | boolean | undefined> {
  const options = Object.fromEntries([
    ["help", { type: "boolean" as const, short: "h" }],
    ...agentSettings.map((setting) => [setting.flag, { type: "string" as const }]),
  ]);
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false })
      .values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new AgentConfigError(`${(error as Error).message}; see --help`);
  }
}

/** The `--help` text: every flag with its environment variable and default. */
export function agentHelpText(): string {
  const lines = agentSettings.map((setting) => {
    const defaultText = setting.defaultText ?? JSON.stringify(setting.defaultValue);
    return `  --${setting.flag} <value>\n      ${setting.description}\n      env ${setting.env}, default ${defaultText}`;
  });
  return `Usage: sherpa-agent [flags]\n\nRuns the Sherpa node agent: registers this machine's GPUs with the server and runs the tasks it assigns.\nThe first start needs --join-token: the node enrolls with it once and keeps its credential in --state-dir.\nSIGTERM or SIGINT cancels running tasks and stops.\n\nFlags:\n${lines.join("\n")}\n  -h, --help\n      Show this help.\n`;
}
