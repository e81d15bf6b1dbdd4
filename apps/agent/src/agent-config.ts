import { join, resolve } from "node:path";
import {
  labelListAllowed,
  loadSettings,
  parseLabels,
  type SettingsTable,
  settingsHelpText,
} from "@sherpa/kit";
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

/** The part of the configuration that comes from flags, environment variables and defaults. */
type AgentSettings = Omit<AgentConfig, "taskBaseEnv">;

/** What a default may depend on. */
interface DefaultContext {
  machine: MachineFacts;
  /** The settings read so far, those listed before. */
  config: Partial<AgentSettings>;
}

/** What defaults depend on, passed in so tests do not depend on the machine. */
export interface MachineFacts {
  hostname: string;
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

/** Every setting, by key; `--help` is made from it. */
export const agentSettings: SettingsTable<AgentSettings, DefaultContext> = {
  server: {
    env: "SHERPA_SERVER",
    flag: "server",
    defaultValue: "http://localhost:8080",
    description: "Base URL of the Sherpa server; the agent speaks gRPC to it (h2c for http://).",
    parse: parseServerUrl,
    allowed: "an http:// or https:// URL",
  },
  nodeName: {
    env: "SHERPA_NODE_NAME",
    flag: "node-name",
    defaultValue: ({ machine }) => machine.hostname,
    defaultText: "the host name",
    description: "The node's unique name.",
    parse: (text) => (/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(text) ? text : undefined),
    allowed: "1 to 253 letters, digits, '.', '_' or '-', starting with a letter or digit",
  },
  labels: {
    env: "SHERPA_NODE_LABELS",
    flag: "labels",
    defaultValue: "",
    description:
      "Labels resource groups select the node by, as key=value pairs separated by commas.",
    parse: parseLabels,
    allowed: labelListAllowed,
  },
  gpus: {
    env: "SHERPA_AGENT_GPUS",
    flag: "gpus",
    defaultValue: "",
    description:
      "Simulated GPUs, served (marked simulated) only when nvidia-smi is absent or fails; empty for none.",
    parse: parseSimulatedSpec,
    allowed:
      "empty or COUNTxMODEL entries separated by commas, for example 4xNVIDIA A100-SXM4-80GB",
  },
  nvidiaSmi: {
    env: "SHERPA_AGENT_NVIDIA_SMI",
    flag: "nvidia-smi",
    defaultValue: "nvidia-smi",
    description: "The nvidia-smi program used to find and measure real GPUs.",
    parse: (text) => (text.trim() === "" ? undefined : text.trim()),
    allowed: "a program name or path",
  },
  workDir: {
    env: "SHERPA_AGENT_WORK_DIR",
    flag: "work-dir",
    defaultValue: "./data/agent",
    description: "The agent's directory; each task runs in <work-dir>/tasks/<task id> (created).",
    parse: parseDirectory,
    allowed: "a directory path",
  },
  stateDir: {
    env: "SHERPA_AGENT_STATE_DIR",
    flag: "state-dir",
    defaultValue: ({ config }) => join(config.workDir ?? ".", "state"),
    defaultText: "<work-dir>/state",
    description:
      "Where the node's credential is kept (credential.json, readable by the agent's user only).",
    parse: parseDirectory,
    allowed: "a directory path",
  },
  joinToken: {
    env: "SHERPA_JOIN_TOKEN",
    flag: "join-token",
    defaultValue: "",
    description:
      "Join token (from `sherpa nodes join-token create`) the node enrolls with once, when it has no credential yet.",
    parse: parseJoinToken,
    allowed: "empty, or a join token starting with shj_",
    secret: true,
  },
  cancelGraceMs: {
    env: "SHERPA_AGENT_CANCEL_GRACE_MS",
    flag: "cancel-grace-ms",
    defaultValue: "10000",
    description: "When a task is cancelled or times out, milliseconds between SIGTERM and SIGKILL.",
    parse: (text) => (/^\d+$/.test(text) && Number(text) <= 3_600_000 ? Number(text) : undefined),
    allowed: "an integer from 0 to 3600000",
  },
  logLevel: {
    env: "SHERPA_LOG_LEVEL",
    flag: "log-level",
    defaultValue: "info",
    description: "Lowest level logged (JSON lines on standard output).",
    parse: (text) => logLevels.find((level) => level === text),
    allowed: logLevels.join(", "),
  },
};

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
  const loaded = loadSettings(agentSettings, {
    argv,
    env,
    defaultContext: (config) => ({ machine, config }),
    createError: (message) => new AgentConfigError(message),
  });
  if (loaded.kind === "help") {
    return { kind: "help", text: agentHelpText() };
  }
  return { kind: "config", config: { ...loaded.values, taskBaseEnv: taskBaseEnvironment(env) } };
}

/** The `--help` text: every flag with its environment variable and default. */
export function agentHelpText(): string {
  return settingsHelpText(agentSettings, {
    intro:
      "Usage: sherpa-agent [flags]\n\nRuns the Sherpa node agent: registers this machine's GPUs with the server and runs the tasks it assigns.\nThe first start needs --join-token: the node enrolls with it once and keeps its credential in --state-dir.\nSIGTERM or SIGINT cancels running tasks and stops.",
    formatDefault: (text) => JSON.stringify(text),
  });
}
