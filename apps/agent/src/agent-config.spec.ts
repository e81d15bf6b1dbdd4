import assert from "node:assert/strict";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { type AgentConfig, AgentConfigError, loadAgentConfig } from "./agent-config.js";

const machine = { hostname: "gpu-box-7" };

function configOf(argv: string[], env: NodeJS.ProcessEnv = {}): AgentConfig {
  const loaded = loadAgentConfig(argv, env, machine);
  assert.equal(loaded.kind, "config");
  return loaded.config;
}

function errorOf(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    loadAgentConfig(argv, env, machine);
  } catch (error) {
    assert.ok(
      error instanceof AgentConfigError,
      `expected an AgentConfigError, got ${String(error)}`,
    );
    return error.message;
  }
  assert.fail("the configuration was accepted");
}

describe("loadAgentConfig", () => {
  it("uses the defaults when nothing is set", () => {
    assert.deepEqual(configOf([]), {
      server: "http://localhost:8080",
      nodeName: "gpu-box-7",
      labels: {},
      gpus: "",
      nvidiaSmi: "nvidia-smi",
      workDir: resolve("data/agent"),
      stateDir: resolve("data/agent/state"),
      joinToken: "",
      cancelGraceMs: 10_000,
      logLevel: "info",
      taskBaseEnv: {},
    });
  });

  it("reads every SHERPA_* variable", () => {
    assert.deepEqual(
      configOf([], {
        SHERPA_SERVER: "https://sherpa.example.com",
        SHERPA_NODE_NAME: "node-1",
        SHERPA_NODE_LABELS: "gpu=h100, zone=eu-1",
        SHERPA_AGENT_GPUS: "2xNVIDIA H100 80GB HBM3,2xTesla T4",
        SHERPA_AGENT_NVIDIA_SMI: "/usr/bin/nvidia-smi",
        SHERPA_AGENT_WORK_DIR: "/var/lib/sherpa-agent",
        SHERPA_AGENT_STATE_DIR: "/etc/sherpa-agent",
        SHERPA_JOIN_TOKEN: "shj_abc123",
        SHERPA_AGENT_CANCEL_GRACE_MS: "0",
        SHERPA_LOG_LEVEL: "warn",
      }),
      {
        server: "https://sherpa.example.com",
        nodeName: "node-1",
        labels: { gpu: "h100", zone: "eu-1" },
        gpus: "2xNVIDIA H100 80GB HBM3,2xTesla T4",
        nvidiaSmi: "/usr/bin/nvidia-smi",
        workDir: "/var/lib/sherpa-agent",
        stateDir: "/etc/sherpa-agent",
        joinToken: "shj_abc123",
        cancelGraceMs: 0,
        logLevel: "warn",
        taskBaseEnv: {},
      },
    );
  });

  it("lets flags win over the environment", () => {
    const config = configOf(
      ["--server", "http://10.0.0.1:9000", "--gpus=4xNVIDIA A100-SXM4-80GB"],
      {
        SHERPA_SERVER: "http://other:8080",
        SHERPA_AGENT_GPUS: "1xTesla T4",
      },
    );
    assert.equal(config.server, "http://10.0.0.1:9000");
    assert.equal(config.gpus, "4xNVIDIA A100-SXM4-80GB");
  });

  it("keeps the state directory under the work directory unless it is set", () => {
    assert.equal(configOf(["--work-dir", "/srv/agent"]).stateDir, "/srv/agent/state");
    assert.equal(
      configOf(["--work-dir", "/srv/agent", "--state-dir", "relative/state"]).stateDir,
      resolve("relative/state"),
    );
  });

  it("gives tasks only the base variables of the agent's environment", () => {
    const config = configOf([], {
      PATH: "/usr/bin:/bin",
      HOME: "/home/agent",
      LANG: "C.UTF-8",
      SHERPA_JOIN_TOKEN: "shj_secret",
      SHERPA_TOKEN: "shn_secret",
      DATABASE_URL: "postgres://sherpa@db/sherpa",
      AWS_SECRET_ACCESS_KEY: "secret",
    });
    assert.deepEqual(config.taskBaseEnv, {
      PATH: "/usr/bin:/bin",
      HOME: "/home/agent",
      LANG: "C.UTF-8",
    });
  });

  it("does not repeat a bad join token, a secret, in its message", () => {
    const message = errorOf(["--join-token", "shn_my-node-credential"]);
    assert.match(message, /SHERPA_JOIN_TOKEN \(--join-token\) is not valid; allowed: .*shj_/);
    assert.doesNotMatch(message, /my-node-credential/);
  });

  const badValues: { env: string; value: string }[] = [
    { env: "SHERPA_SERVER", value: "localhost:8080" },
    { env: "SHERPA_SERVER", value: "ftp://sherpa" },
    { env: "SHERPA_NODE_NAME", value: "" },
    { env: "SHERPA_NODE_NAME", value: "my node" },
    { env: "SHERPA_NODE_LABELS", value: "gpu" },
    { env: "SHERPA_NODE_LABELS", value: "gpu=a,gpu=b" },
    { env: "SHERPA_NODE_LABELS", value: "=x" },
    { env: "SHERPA_AGENT_GPUS", value: "0xTesla T4" },
    { env: "SHERPA_AGENT_WORK_DIR", value: " " },
    { env: "SHERPA_AGENT_STATE_DIR", value: "" },
    { env: "SHERPA_AGENT_CANCEL_GRACE_MS", value: "-1" },
    { env: "SHERPA_AGENT_CANCEL_GRACE_MS", value: "ten" },
    { env: "SHERPA_AGENT_CANCEL_GRACE_MS", value: "3600001" },
    { env: "SHERPA_LOG_LEVEL", value: "verbose" },
  ];
  for (const { env, value } of badValues) {
    it(`rejects ${env}="${value}" with a message naming it`, () => {
      const message = errorOf([], { [env]: value });
      assert.match(
        message,
        new RegExp(
          `${env} \\(--[a-z-]+\\) is "${value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"; allowed: `,
        ),
      );
    });
  }

  it("reports every bad value at once", () => {
    const message = errorOf([], { SHERPA_SERVER: "nope", SHERPA_LOG_LEVEL: "loud" });
    assert.match(message, /SHERPA_SERVER/);
    assert.match(message, /SHERPA_LOG_LEVEL/);
  });

  it("rejects unknown flags", () => {
    assert.match(errorOf(["--gpu", "2xTesla T4"]), /Unknown option '--gpu'.*see --help/);
  });

  it("answers --help with every flag", () => {
    const loaded = loadAgentConfig(["--help"], {}, machine);
    assert.equal(loaded.kind, "help");
    for (const flag of [
      "--server",
      "--node-name",
      "--labels",
      "--gpus",
      "--work-dir",
      "--state-dir",
      "--join-token",
      "--cancel-grace-ms",
    ]) {
      assert.ok(loaded.kind === "help" && loaded.text.includes(flag), `--help lacks ${flag}`);
    }
  });
});
