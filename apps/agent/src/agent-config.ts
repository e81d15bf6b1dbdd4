import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseSimulatedGpus } from "./gpu/parse-simulated-gpus.js";
import { type LogLevel, logLevels } from "./json-logger.js";

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
  /** Time between SIGTERM and SIGKILL when a task is stopped. */
  cancelGraceMs: number;
  /** Lowest level logged. */
  logLevel: LogLevel;
}

/** One setting: its environment variable, its flag, its default and how to read it. */
interface Setting<K extends keyof AgentConfig> {
  key: K;
  env: string;
  flag: string;
  /** The default; a function for defaults that depend on the machine. */
  defaultValue: string | ((machine: MachineFacts) => string);
  description: string;
  parse: (text: string) => AgentConfig[K] | undefined;
  allowed: string;
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

function parseSimulatedSpec(text: string): string | undefined {
  try {
    parseSimulatedGpus(text, "check");
    return text.trim();
  } catch {
    return undefined;
  }
}

/** Every setting; `--help` and the README's settings table are made from this list. */
export const agentSettings: readonly Setting<keyof AgentConfig>[] = [
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
    defaultValue: ({ hostname }) => hostname,
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
    parse: (text) => (text.trim() === "" ? undefined : resolve(text.trim())),
    allowed: "a directory path",
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
 * setting and what it allows.
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
  const config: Partial<Record<keyof AgentConfig, unknown>> = {};
  for (const setting of agentSettings) {
    const flagValue = values[setting.flag];
    const fallback =
      typeof setting.defaultValue === "function"
        ? setting.defaultValue(machine)
        : setting.defaultValue;
    const text = typeof flagValue === "string" ? flagValue : (env[setting.env] ?? fallback);
    const value = setting.parse(text);
    if (value === undefined) {
      problems.push(`${setting.env} (--${setting.flag}) is "${text}"; allowed: ${setting.allowed}`);
    }
    config[setting.key] = value;
  }
  if (problems.length > 0) {
    throw new AgentConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  return { kind: "config", config: config as AgentConfig };
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
    const defaultText =
      typeof setting.defaultValue === "function"
        ? "the host name"
        : JSON.stringify(setting.defaultValue);
    return `  --${setting.flag} <value>\n      ${setting.description}\n      env ${setting.env}, default ${defaultText}`;
  });
  return `Usage: sherpa-agent [flags]\n\nRuns the Sherpa node agent: registers this machine's GPUs with the server and runs the tasks it assigns.\nSIGTERM or SIGINT cancels running tasks and stops.\n\nFlags:\n${lines.join("\n")}\n  -h, --help\n      Show this help.\n`;
}
