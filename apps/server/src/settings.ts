import { labelListAllowed, parseLabels, type SettingsTable } from "@sherpa/kit";
import type { ServerConfig } from "./config.js";

/** The part of the configuration that is settings (flags and variables). */
export type ServerSettings = Omit<ServerConfig, "taskBaseEnv" | "prettyLogs">;

const anyText = (text: string) => text.trim();

const hostPort = (text: string) => {
  if (text === "") {
    return "";
  }
  const match = /^(.*):(\d{1,5})$/.exec(text);
  return match !== null && Number(match[2]) <= 65535 ? text : undefined;
};

const originList = (text: string) => {
  const origins = text
    .split(",")
    .map((origin) => origin.trim())
    .filter((origin) => origin !== "");
  return origins.every((origin) => origin === "*" || /^https?:\/\/[^/\s]+$/.test(origin))
    ? origins
    : undefined;
};

const booleanText = (text: string) =>
  text === "true" ? true : text === "false" ? false : undefined;

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

function integerIn(min: number, max: number) {
  return (text: string) => {
    const value = Number(text);
    return /^\d+$/.test(text) && value >= min && value <= max ? value : undefined;
  };
}

/** Every setting, by key; `--help` and the README's settings table are made from it. */
export const settings: SettingsTable<ServerSettings> = {
  host: {
    env: "SHERPA_HOST",
    flag: "host",
    defaultValue: "127.0.0.1",
    description:
      "Host or IP address to listen on; loopback unless set (0.0.0.0 for every interface: then use TLS).",
    parse: (text) => (text.trim() === "" ? undefined : text.trim()),
    allowed: "a host name or IP address",
  },
  port: {
    env: "SHERPA_PORT",
    flag: "port",
    defaultValue: "8080",
    description:
      "Port serving HTTP/1.1 and cleartext HTTP/2 (gRPC, gRPC-Web, Connect); 0 picks a free port.",
    parse: integerIn(0, 65535),
    allowed: "an integer from 0 to 65535",
  },
  dataDir: {
    env: "SHERPA_DATA_DIR",
    flag: "data-dir",
    defaultValue: "./data",
    description: "Directory holding the SQLite database sherpa.db (created if missing).",
    parse: (text) => (text === "" ? undefined : text),
    allowed: "a directory path, or :memory:",
  },
  logLevel: {
    env: "SHERPA_LOG_LEVEL",
    flag: "log-level",
    defaultValue: "info",
    description: "Log level.",
    parse: (text) => (logLevels.includes(text) ? text : undefined),
    allowed: logLevels.join(", "),
  },
  maxMessageBytes: {
    env: "SHERPA_MAX_MESSAGE_BYTES",
    flag: "max-message-bytes",
    defaultValue: String(4 * 1024 * 1024),
    description: "Largest request message accepted, in bytes; larger ones get ResourceExhausted.",
    parse: integerIn(1024, 256 * 1024 * 1024),
    allowed: "an integer from 1024 to 268435456",
  },
  nodeOfflineAfterMs: {
    env: "SHERPA_NODE_OFFLINE_AFTER_MS",
    flag: "node-offline-after-ms",
    defaultValue: "30000",
    description: "A node whose agent has not reported for this many milliseconds is OFFLINE.",
    parse: integerIn(1000, 24 * 60 * 60 * 1000),
    allowed: "an integer from 1000 to 86400000",
  },
  shutdownGraceMs: {
    env: "SHERPA_SHUTDOWN_GRACE_MS",
    flag: "shutdown-grace-ms",
    defaultValue: "10000",
    description: "On SIGTERM or SIGINT, how long in-flight calls may finish before they are cut.",
    parse: integerIn(0, 10 * 60 * 1000),
    allowed: "an integer from 0 to 600000",
  },
  shutdownDrainDelayMs: {
    env: "SHERPA_SHUTDOWN_DRAIN_DELAY_MS",
    flag: "shutdown-drain-delay-ms",
    defaultValue: "0",
    description:
      "On SIGTERM or SIGINT, how long to keep serving while /readyz and health already say NOT_SERVING, so load balancers stop sending new calls.",
    parse: integerIn(0, 10 * 60 * 1000),
    allowed: "an integer from 0 to 600000",
  },
  metricsAddr: {
    env: "SHERPA_METRICS_ADDR",
    flag: "metrics-addr",
    defaultValue: "",
    description:
      "host:port of a separate listener serving only /metrics; empty for none (/metrics is always on the main port too).",
    parse: hostPort,
    allowed: "empty or host:port, for example 127.0.0.1:9464",
  },
  tlsCertFile: {
    env: "SHERPA_TLS_CERT",
    flag: "tls-cert",
    defaultValue: "",
    description:
      "PEM certificate file; with SHERPA_TLS_KEY the port serves TLS (ALPN h2 and http/1.1) instead of cleartext.",
    parse: anyText,
    allowed: "empty or a file path",
  },
  tlsKeyFile: {
    env: "SHERPA_TLS_KEY",
    flag: "tls-key",
    defaultValue: "",
    description: "PEM private key file of SHERPA_TLS_CERT.",
    parse: anyText,
    allowed: "empty or a file path",
  },
  tlsClientCaFile: {
    env: "SHERPA_TLS_CLIENT_CA",
    flag: "tls-client-ca",
    defaultValue: "",
    description: "PEM CA file; when set, clients must present a certificate it signed (mTLS).",
    parse: anyText,
    allowed: "empty or a file path",
  },
  corsOrigins: {
    env: "SHERPA_CORS_ORIGINS",
    flag: "cors-origins",
    defaultValue: "",
    description:
      "Comma-separated browser origins allowed by CORS and to open WebSockets; empty disables CORS, * allows any.",
    parse: originList,
    allowed: "empty, *, or origins like https://app.example.com,http://localhost:5173",
  },
  maxDeadlineMs: {
    env: "SHERPA_MAX_DEADLINE_MS",
    flag: "max-deadline-ms",
    defaultValue: "300000",
    description:
      "Longest deadline a caller may ask for; calls asking for more get InvalidArgument.",
    parse: integerIn(1000, 24 * 60 * 60 * 1000),
    allowed: "an integer from 1000 to 86400000",
  },
  maxConcurrentStreams: {
    env: "SHERPA_MAX_CONCURRENT_STREAMS",
    flag: "max-concurrent-streams",
    defaultValue: "100",
    description: "Most concurrent HTTP/2 streams (calls) per client connection.",
    parse: integerIn(1, 10_000),
    allowed: "an integer from 1 to 10000",
  },
  headersTimeoutMs: {
    env: "SHERPA_HEADERS_TIMEOUT_MS",
    flag: "headers-timeout-ms",
    defaultValue: "10000",
    description:
      "Time a connection has to send its first bytes (and finish TLS) and an HTTP/1.1 request its headers; slower clients are cut off.",
    parse: integerIn(100, 10 * 60 * 1000),
    allowed: "an integer from 100 to 600000",
  },
  idleTimeoutMs: {
    env: "SHERPA_IDLE_TIMEOUT_MS",
    flag: "idle-timeout-ms",
    defaultValue: "60000",
    description: "An idle keep-alive connection or HTTP/2 session is closed after this long.",
    parse: integerIn(100, 24 * 60 * 60 * 1000),
    allowed: "an integer from 100 to 86400000",
  },
  bodyTimeoutMs: {
    env: "SHERPA_BODY_TIMEOUT_MS",
    flag: "body-timeout-ms",
    defaultValue: "30000",
    description:
      "Time a unary or server-streaming call's request body has to arrive after its headers; slower calls get DeadlineExceeded (plain HTTP: 408), then their stream or connection closes. Client/bidi streams are exempt.",
    parse: integerIn(100, 60 * 60 * 1000),
    allowed: "an integer from 100 to 3600000",
  },
  heartbeatIntervalMs: {
    env: "SHERPA_HEARTBEAT_INTERVAL_MS",
    flag: "heartbeat-interval-ms",
    defaultValue: "5000",
    description: "How often agents heartbeat; keep it well below SHERPA_NODE_OFFLINE_AFTER_MS.",
    parse: integerIn(100, 10 * 60 * 1000),
    allowed: "an integer from 100 to 600000",
  },
  embeddedAgent: {
    env: "SHERPA_EMBEDDED_AGENT",
    flag: "embedded-agent",
    defaultValue: "true",
    description:
      "Run an agent inside the server, so this machine is a node and one command runs everything.",
    parse: booleanText,
    allowed: "true or false",
  },
  agentGpus: {
    env: "SHERPA_AGENT_GPUS",
    flag: "agent-gpus",
    defaultValue: "4xNVIDIA A100-SXM4-80GB",
    description:
      "GPUs the embedded agent simulates when nvidia-smi is absent (always reported as simulated), e.g. 2xNVIDIA H100 80GB HBM3,2xTesla T4; empty for none.",
    parse: anyText,
    allowed: "empty or COUNTxMODEL[,COUNTxMODEL...]",
  },
  agentNvidiaSmi: {
    env: "SHERPA_AGENT_NVIDIA_SMI",
    flag: "agent-nvidia-smi",
    defaultValue: "nvidia-smi",
    description:
      "nvidia-smi program the embedded agent asks for real GPUs; when it is missing or fails, SHERPA_AGENT_GPUS is simulated.",
    parse: (text) => (text.trim() === "" ? undefined : text.trim()),
    allowed: "a program name or path",
  },
  agentWorkDir: {
    env: "SHERPA_AGENT_WORK_DIR",
    flag: "agent-work-dir",
    defaultValue: "",
    description:
      "Working directory of the embedded agent's tasks (one folder per task); empty for <data dir>/agent.",
    parse: anyText,
    allowed: "empty or a directory path",
  },
  agentCancelGraceMs: {
    env: "SHERPA_AGENT_CANCEL_GRACE_MS",
    flag: "agent-cancel-grace-ms",
    defaultValue: "10000",
    description: "Time a cancelled or timed-out task has between SIGTERM and SIGKILL.",
    parse: integerIn(0, 10 * 60 * 1000),
    allowed: "an integer from 0 to 600000",
  },
  nodeName: {
    env: "SHERPA_NODE_NAME",
    flag: "node-name",
    defaultValue: "",
    description: "Node name of the embedded agent; empty for the host name.",
    parse: anyText,
    allowed: "empty or a name",
  },
  nodeLabels: {
    env: "SHERPA_NODE_LABELS",
    flag: "node-labels",
    defaultValue: "",
    description: "Labels of the embedded agent's node, e.g. gpu=a100,zone=lab.",
    parse: parseLabels,
    allowed: labelListAllowed,
  },
  webSocketBufferBytes: {
    env: "SHERPA_WEBSOCKET_BUFFER_BYTES",
    flag: "websocket-buffer-bytes",
    defaultValue: String(1024 * 1024),
    description:
      "Most bytes queued for a slow WebSocket client before it is closed with code 4429.",
    parse: integerIn(1024, 256 * 1024 * 1024),
    allowed: "an integer from 1024 to 268435456",
  },
  adminTokenFile: {
    env: "SHERPA_ADMIN_TOKEN_FILE",
    flag: "admin-token-file",
    defaultValue: "",
    description:
      "File the admin token is written to (mode 0600) on first start; empty for <data dir>/admin-token.",
    parse: anyText,
    allowed: "empty or a file path",
  },
  cliProfile: {
    env: "SHERPA_CLI_PROFILE",
    flag: "cli-profile",
    defaultValue: "",
    description:
      "CLI profile written at start when missing, pointing the sherpa CLI at this server and its admin token file; empty for $XDG_CONFIG_HOME/sherpa/profile.json (or ~/.config/sherpa/profile.json), none for no profile.",
    parse: anyText,
    allowed: "empty, none, or a file path",
  },
  oidcIssuer: {
    env: "SHERPA_OIDC_ISSUER",
    flag: "oidc-issuer",
    defaultValue: "",
    description:
      "OIDC issuer URL whose bearer JWTs are accepted (discovery and JWKS are fetched from it); empty for none.",
    parse: (text) =>
      text === "" || /^https?:\/\/\S+$/.test(text) ? text.replace(/\/$/, "") : undefined,
    allowed: "empty or an http(s):// URL",
  },
  oidcAudience: {
    env: "SHERPA_OIDC_AUDIENCE",
    flag: "oidc-audience",
    defaultValue: "",
    description: "Audience (aud) the JWTs must be issued for; required with SHERPA_OIDC_ISSUER.",
    parse: anyText,
    allowed: "empty or an audience",
  },
  oidcClaim: {
    env: "SHERPA_OIDC_CLAIM",
    flag: "oidc-claim",
    defaultValue: "groups",
    description:
      "JWT claim (a string or a list) whose entries give roles (<prefix>admin, ...) and queue grants (<prefix>queue:NAME).",
    parse: (text) => (text.trim() === "" ? undefined : text.trim()),
    allowed: "a claim name",
  },
  oidcClaimPrefix: {
    env: "SHERPA_OIDC_CLAIM_PREFIX",
    flag: "oidc-claim-prefix",
    defaultValue: "sherpa:",
    description: "Prefix of the claim's entries meant for Sherpa, e.g. sherpa:submitter.",
    parse: anyText,
    allowed: "any text",
  },
  oidcJwksCooldownMs: {
    env: "SHERPA_OIDC_JWKS_COOLDOWN_MS",
    flag: "oidc-jwks-cooldown-ms",
    defaultValue: "30000",
    description:
      "Least time between two JWKS fetches when a JWT names a key not yet known (key rotation).",
    parse: integerIn(0, 24 * 60 * 60 * 1000),
    allowed: "an integer from 0 to 86400000",
  },
  auditLog: {
    env: "SHERPA_AUDIT_LOG",
    flag: "audit-log",
    defaultValue: "",
    description:
      "Audit log file: one JSON line per mutating or refused call; - for stdout; empty for <data dir>/audit.log.",
    parse: anyText,
    allowed: "empty, -, or a file path",
  },
  rateLimitPerSecond: {
    env: "SHERPA_RATE_LIMIT_PER_SECOND",
    flag: "rate-limit-per-second",
    defaultValue: "100",
    description:
      "Calls per second each principal may make on average; more get ResourceExhausted with RetryInfo.",
    parse: integerIn(1, 1_000_000),
    allowed: "an integer from 1 to 1000000",
  },
  rateLimitBurst: {
    env: "SHERPA_RATE_LIMIT_BURST",
    flag: "rate-limit-burst",
    defaultValue: "200",
    description: "Calls a principal may make at once after a quiet time.",
    parse: integerIn(1, 1_000_000),
    allowed: "an integer from 1 to 1000000",
  },
  authFailuresPerMinute: {
    env: "SHERPA_AUTH_FAILURES_PER_MINUTE",
    flag: "auth-failures-per-minute",
    defaultValue: "30",
    description:
      "Failed authentications a peer address may make per minute (as a burst) before its calls get ResourceExhausted.",
    parse: integerIn(1, 1_000_000),
    allowed: "an integer from 1 to 1000000",
  },
};
