import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { taskBaseEnvironment } from "@sherpa/agent";
import { loadSettings, settingsHelpText } from "@sherpa/kit";
import { type ServerSettings, settings } from "./settings.js";

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
  /** How long to keep serving, already reported as not ready, before closing the listener. */
  shutdownDrainDelayMs: number;
  /** `host:port` of a separate metrics listener; empty for none (metrics stay on the main port). */
  metricsAddr: string;
  /** PEM certificate file; with tlsKeyFile, the port serves TLS (ALPN h2 and http/1.1). */
  tlsCertFile: string;
  /** PEM private key file of tlsCertFile. */
  tlsKeyFile: string;
  /** PEM CA file; when set, clients must present a certificate it signed (mTLS). */
  tlsClientCaFile: string;
  /** Browser origins allowed by CORS; empty disables CORS, `*` allows any. */
  corsOrigins: string[];
  /** Longest deadline a caller may ask for; calls asking for more get InvalidArgument. */
  maxDeadlineMs: number;
  /** Most concurrent HTTP/2 streams per connection. */
  maxConcurrentStreams: number;
  /** Time allowed for a request's headers to arrive (HTTP/1.1) or a connection's first bytes. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection or HTTP/2 session is closed after this long. */
  idleTimeoutMs: number;
  /** Time a request body of a unary or server-streaming call has to arrive completely. */
  bodyTimeoutMs: number;
  /** How often agents heartbeat. */
  heartbeatIntervalMs: number;
  /** Whether the server runs an agent in-process, making this machine a node. */
  embeddedAgent: boolean;
  /** Simulated GPUs of the embedded agent when nvidia-smi is absent, e.g. `4xNVIDIA A100-SXM4-80GB`. */
  agentGpus: string;
  /** The nvidia-smi program the embedded agent asks for real GPUs. */
  agentNvidiaSmi: string;
  /** Working directory of the embedded agent's tasks; empty for `<dataDir>/agent`. */
  agentWorkDir: string;
  /** Time a cancelled task has between SIGTERM and SIGKILL. */
  agentCancelGraceMs: number;
  /** Node name of the embedded agent; empty for the host name. */
  nodeName: string;
  /** Labels of the embedded agent's node. */
  nodeLabels: Record<string, string>;
  /** Most bytes queued for a slow WebSocket client before it is closed with 4429. */
  webSocketBufferBytes: number;
  /** Where the first-start admin token is written; empty for `<dataDir>/admin-token`. */
  adminTokenFile: string;
  /** The CLI profile written at start when missing; empty for the default path, `none` for none. */
  cliProfile: string;
  /** OIDC issuer URL whose JWTs are accepted; empty for none. */
  oidcIssuer: string;
  /** Audience the JWTs must be for. */
  oidcAudience: string;
  /** JWT claim holding roles and queue grants. */
  oidcClaim: string;
  /** Prefix of the claim's entries that mean something to Sherpa. */
  oidcClaimPrefix: string;
  /** Least time between two JWKS fetches when a JWT names an unknown key. */
  oidcJwksCooldownMs: number;
  /** The audit log file; `-` for stdout; empty for `<dataDir>/audit.log`. */
  auditLog: string;
  /** Calls per second each principal may make on average. */
  rateLimitPerSecond: number;
  /** Calls a principal may make at once after a quiet time. */
  rateLimitBurst: number;
  /** Failed authentications a peer address may make per minute before it is refused. */
  authFailuresPerMinute: number;
  /**
   * What the embedded agent's tasks get of the server's environment: PATH, HOME
   * and the like, never its SHERPA_* settings or secrets. Not a setting.
   */
  taskBaseEnv: Record<string, string>;
  /** Readable, coloured log lines instead of JSON: stdout is a terminal. Not a setting. */
  prettyLogs: boolean;
}

/** What the configuration depends on besides flags and variables. */
export interface Terminal {
  /** Whether stdout is a terminal (a person reading) rather than a pipe or log collector. */
  stdoutIsTty: boolean;
}

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
export function loadConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  terminal: Terminal = { stdoutIsTty: false },
): LoadedConfig {
  const loaded = loadSettings(settings, {
    argv,
    env,
    crossChecks: crossSettingProblems,
    createError: (message) => new ConfigError(message),
  });
  if (loaded.kind === "help") {
    return { kind: "help", text: helpText() };
  }
  return {
    kind: "config",
    config: { ...withDerivedSettings(loaded.values, env), prettyLogs: terminal.stdoutIsTty },
  };
}

/**
 * Fills in what depends on the data directory or the user's home, and what the
 * embedded agent's tasks get of the environment.
 */
function withDerivedSettings(
  config: ServerSettings,
  env: NodeJS.ProcessEnv,
): Omit<ServerConfig, "prettyLogs"> {
  const inMemory = config.dataDir === ":memory:";
  const configHome = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return {
    ...config,
    adminTokenFile:
      config.adminTokenFile !== "" || inMemory
        ? config.adminTokenFile
        : resolve(config.dataDir, "admin-token"),
    auditLog:
      config.auditLog !== "" ? config.auditLog : inMemory ? "-" : join(config.dataDir, "audit.log"),
    cliProfile:
      config.cliProfile === "" ? join(configHome, "sherpa", "profile.json") : config.cliProfile,
    taskBaseEnv: taskBaseEnvironment(env),
  };
}

/** Problems that involve more than one setting; a setting with a bad value is missing. */
function crossSettingProblems(config: Partial<ServerSettings>): string[] {
  const problems: string[] = [];
  if ((config.tlsCertFile === "") !== (config.tlsKeyFile === "")) {
    problems.push("SHERPA_TLS_CERT and SHERPA_TLS_KEY must be set together");
  }
  if (config.tlsClientCaFile !== "" && config.tlsCertFile === "") {
    problems.push(
      "SHERPA_TLS_CLIENT_CA needs SHERPA_TLS_CERT and SHERPA_TLS_KEY (mTLS is on top of TLS)",
    );
  }
  if ((config.oidcIssuer === "") !== (config.oidcAudience === "")) {
    problems.push("SHERPA_OIDC_ISSUER and SHERPA_OIDC_AUDIENCE must be set together");
  }
  return problems;
}

/** The `--help` text: every flag with its environment variable and default. */
export function helpText(): string {
  return settingsHelpText(settings, {
    intro: "Usage: sherpa-server [flags]\n\nRuns the Sherpa control plane.",
  });
}
