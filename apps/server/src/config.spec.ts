import assert from "node:assert/strict";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadConfig, type ServerConfig } from "./config.js";
import { settings } from "./settings.js";

function configOf(argv: string[], env: NodeJS.ProcessEnv = {}): ServerConfig {
  const loaded = loadConfig(argv, env);
  assert.equal(loaded.kind, "config");
  return loaded.config;
}

function configErrorOf(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  let message = "";
  assert.throws(
    () => loadConfig(argv, env),
    (error) => {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
      message = error.message;
      return true;
    },
  );
  return message;
}

describe("loadConfig", () => {
  it("uses the defaults when nothing is set", () => {
    assert.deepEqual(configOf([], { HOME: "/home/ada" }), {
      host: "127.0.0.1",
      port: 8080,
      dataDir: "./data",
      logLevel: "info",
      maxMessageBytes: 4 * 1024 * 1024,
      nodeOfflineAfterMs: 30_000,
      shutdownGraceMs: 10_000,
      shutdownDrainDelayMs: 0,
      metricsAddr: "",
      tlsCertFile: "",
      tlsKeyFile: "",
      tlsClientCaFile: "",
      corsOrigins: [],
      maxDeadlineMs: 300_000,
      maxConcurrentStreams: 100,
      headersTimeoutMs: 10_000,
      idleTimeoutMs: 60_000,
      bodyTimeoutMs: 30_000,
      heartbeatIntervalMs: 5000,
      embeddedAgent: true,
      agentGpus: "4xNVIDIA A100-SXM4-80GB",
      agentNvidiaSmi: "nvidia-smi",
      agentWorkDir: "",
      agentCancelGraceMs: 10_000,
      nodeName: "",
      nodeLabels: {},
      webSocketBufferBytes: 1024 * 1024,
      adminTokenFile: resolve("data", "admin-token"),
      cliProfile: "/home/ada/.config/sherpa/profile.json",
      oidcIssuer: "",
      oidcAudience: "",
      oidcClaim: "groups",
      oidcClaimPrefix: "sherpa:",
      oidcJwksCooldownMs: 30_000,
      auditLog: "data/audit.log",
      rateLimitPerSecond: 100,
      rateLimitBurst: 200,
      authFailuresPerMinute: 30,
      taskBaseEnv: { HOME: "/home/ada" },
      prettyLogs: false,
    });
  });

  it("reads every SHERPA_* variable", () => {
    const config = configOf([], {
      SHERPA_HOST: "127.0.0.1",
      SHERPA_PORT: "0",
      SHERPA_DATA_DIR: ":memory:",
      SHERPA_LOG_LEVEL: "silent",
      SHERPA_MAX_MESSAGE_BYTES: "1024",
      SHERPA_NODE_OFFLINE_AFTER_MS: "1000",
      SHERPA_SHUTDOWN_GRACE_MS: "0",
      SHERPA_SHUTDOWN_DRAIN_DELAY_MS: "250",
      SHERPA_METRICS_ADDR: "127.0.0.1:9464",
      SHERPA_TLS_CERT: "server.pem",
      SHERPA_TLS_KEY: "server-key.pem",
      SHERPA_TLS_CLIENT_CA: "ca.pem",
      SHERPA_CORS_ORIGINS: "https://app.example.com, http://localhost:5173",
      SHERPA_MAX_DEADLINE_MS: "2000",
      SHERPA_MAX_CONCURRENT_STREAMS: "10",
      SHERPA_HEADERS_TIMEOUT_MS: "500",
      SHERPA_IDLE_TIMEOUT_MS: "1500",
      SHERPA_BODY_TIMEOUT_MS: "2500",
      SHERPA_HEARTBEAT_INTERVAL_MS: "200",
      SHERPA_EMBEDDED_AGENT: "false",
      SHERPA_AGENT_GPUS: "2xTesla T4",
      SHERPA_AGENT_NVIDIA_SMI: "/opt/nvidia/bin/nvidia-smi",
      SHERPA_AGENT_WORK_DIR: "/tmp/work",
      SHERPA_AGENT_CANCEL_GRACE_MS: "100",
      SHERPA_NODE_NAME: "gpu-01",
      SHERPA_NODE_LABELS: "gpu=t4,zone=lab",
      SHERPA_WEBSOCKET_BUFFER_BYTES: "4096",
      SHERPA_ADMIN_TOKEN_FILE: "/etc/sherpa/admin-token",
      SHERPA_CLI_PROFILE: "none",
      SHERPA_OIDC_ISSUER: "https://login.example.com/",
      SHERPA_OIDC_AUDIENCE: "sherpa",
      SHERPA_OIDC_CLAIM: "roles",
      SHERPA_OIDC_CLAIM_PREFIX: "gpu-",
      SHERPA_OIDC_JWKS_COOLDOWN_MS: "0",
      SHERPA_AUDIT_LOG: "/var/log/sherpa-audit.log",
      SHERPA_RATE_LIMIT_PER_SECOND: "5",
      SHERPA_RATE_LIMIT_BURST: "10",
      SHERPA_AUTH_FAILURES_PER_MINUTE: "3",
    });
    assert.deepEqual(config, {
      host: "127.0.0.1",
      port: 0,
      dataDir: ":memory:",
      logLevel: "silent",
      maxMessageBytes: 1024,
      nodeOfflineAfterMs: 1000,
      shutdownGraceMs: 0,
      shutdownDrainDelayMs: 250,
      metricsAddr: "127.0.0.1:9464",
      tlsCertFile: "server.pem",
      tlsKeyFile: "server-key.pem",
      tlsClientCaFile: "ca.pem",
      corsOrigins: ["https://app.example.com", "http://localhost:5173"],
      maxDeadlineMs: 2000,
      maxConcurrentStreams: 10,
      headersTimeoutMs: 500,
      idleTimeoutMs: 1500,
      bodyTimeoutMs: 2500,
      heartbeatIntervalMs: 200,
      embeddedAgent: false,
      agentGpus: "2xTesla T4",
      agentNvidiaSmi: "/opt/nvidia/bin/nvidia-smi",
      agentWorkDir: "/tmp/work",
      agentCancelGraceMs: 100,
      nodeName: "gpu-01",
      nodeLabels: { gpu: "t4", zone: "lab" },
      webSocketBufferBytes: 4096,
      adminTokenFile: "/etc/sherpa/admin-token",
      cliProfile: "none",
      oidcIssuer: "https://login.example.com",
      oidcAudience: "sherpa",
      oidcClaim: "roles",
      oidcClaimPrefix: "gpu-",
      oidcJwksCooldownMs: 0,
      auditLog: "/var/log/sherpa-audit.log",
      rateLimitPerSecond: 5,
      rateLimitBurst: 10,
      authFailuresPerMinute: 3,
      taskBaseEnv: {},
      prettyLogs: false,
    });
  });

  it("reads node labels as sherpa-agent does: a value may hold '=', keys as the API allows", () => {
    const labels = configOf([], { SHERPA_NODE_LABELS: "note=a=b, sherpa.dev/pool-=x" }).nodeLabels;
    assert.deepEqual(labels, { note: "a=b", "sherpa.dev/pool-": "x" });
  });

  it("reports TLS settings that only make sense together", () => {
    const message = configErrorOf([], {
      SHERPA_TLS_CERT: "server.pem",
      SHERPA_TLS_CLIENT_CA: "ca.pem",
    });
    assert.match(message, /SHERPA_TLS_CERT and SHERPA_TLS_KEY must be set together/);
  });

  it("lets flags win over the environment", () => {
    const config = configOf(["--port", "9000", "--log-level=debug"], {
      SHERPA_PORT: "7000",
      SHERPA_LOG_LEVEL: "warn",
      SHERPA_HOST: "::1",
    });
    assert.equal(config.port, 9000);
    assert.equal(config.logLevel, "debug");
    assert.equal(config.host, "::1");
  });

  const badValues: { env: string; value: string }[] = [
    { env: "SHERPA_PORT", value: "65536" },
    { env: "SHERPA_PORT", value: "-1" },
    { env: "SHERPA_PORT", value: "80.5" },
    { env: "SHERPA_PORT", value: "http" },
    { env: "SHERPA_HOST", value: " " },
    { env: "SHERPA_DATA_DIR", value: "" },
    { env: "SHERPA_LOG_LEVEL", value: "verbose" },
    { env: "SHERPA_MAX_MESSAGE_BYTES", value: "1023" },
    { env: "SHERPA_NODE_OFFLINE_AFTER_MS", value: "999" },
    { env: "SHERPA_SHUTDOWN_GRACE_MS", value: "600001" },
    { env: "SHERPA_NODE_LABELS", value: "gpu" },
    { env: "SHERPA_NODE_LABELS", value: "gpu=a,gpu=b" },
    { env: "SHERPA_NODE_LABELS", value: "my gpu=a" },
  ];
  for (const { env, value } of badValues) {
    it(`rejects ${env}="${value}", saying what is allowed`, () => {
      const message = configErrorOf([], { [env]: value });
      assert.match(message, new RegExp(`${env} \\(--[a-z-]+\\) is "${value}"; allowed: `));
    });
  }

  it("reports every bad value at once, naming each variable", () => {
    const message = configErrorOf(["--max-message-bytes", "10"], {
      SHERPA_PORT: "70000",
      SHERPA_LOG_LEVEL: "loud",
      SHERPA_HOST: "localhost",
    });
    for (const name of ["SHERPA_PORT", "SHERPA_LOG_LEVEL", "SHERPA_MAX_MESSAGE_BYTES"]) {
      assert.ok(message.includes(name), `"${message}" does not name ${name}`);
    }
    assert.ok(!message.includes("SHERPA_HOST"), "a good value was reported");
    assert.match(message, /allowed: fatal, error, warn, info, debug, trace, silent/);
  });

  for (const { name, argv, mention } of [
    { name: "an unknown flag", argv: ["--prot", "80"], mention: "--prot" },
    { name: "a flag without its value", argv: ["--port"], mention: "--port" },
    { name: "a positional argument", argv: ["serve"], mention: "serve" },
  ]) {
    it(`rejects ${name}, pointing to --help`, () => {
      const message = configErrorOf(argv);
      assert.ok(message.includes(mention), `"${message}" does not mention ${mention}`);
      assert.match(message, /--help/);
    });
  }

  for (const flag of ["--help", "-h"]) {
    it(`returns the help text for ${flag}, even with bad settings`, () => {
      const loaded = loadConfig([flag], { SHERPA_PORT: "nope" });
      assert.equal(loaded.kind, "help");
      for (const setting of Object.values(settings)) {
        assert.ok(
          loaded.text.includes(`--${setting.flag} <value>`),
          `help lacks --${setting.flag}`,
        );
        assert.ok(
          loaded.text.includes(`env ${setting.env}, default ${setting.defaultValue}`),
          `help lacks ${setting.env}`,
        );
      }
    });
  }
});
