#!/usr/bin/env node
import { hostname } from "node:os";
import { createSherpaClient } from "@sherpa/sdk";
import { type Agent, createAgent } from "./agent/create-agent.js";
import { type AgentConfig, AgentConfigError, loadAgentConfig } from "./agent-config.js";
import type { AgentLogger } from "./agent-logger.js";
import { AgentRefusedError } from "./enrollment/agent-refused-error.js";
import { credentialFilePath, type NodeCredential } from "./enrollment/node-credential-file.js";
import { obtainNodeCredential } from "./enrollment/obtain-node-credential.js";
import { discoverGpus } from "./gpu/discover-gpus.js";
import { createJsonLogger } from "./json-logger.js";

/** After the cancel grace period, this long is left for stopping before the process exits anyway. */
const stopMarginMs = 15_000;

/** Exit status when the server refuses the node's join token or credential. */
const refusedExitCode = 3;

/** The agent, once there is one: signals before that need stop nothing. */
interface AgentHolder {
  agent?: Agent;
}

async function main(): Promise<void> {
  const loaded = loadAgentConfig(process.argv.slice(2), process.env, { hostname: hostname() });
  if (loaded.kind === "help") {
    process.stdout.write(loaded.text);
    return;
  }
  const { config } = loaded;
  const logger = createJsonLogger({ level: config.logLevel });
  const holder: AgentHolder = {};
  stopOnSignals(holder, config, logger);
  try {
    const credential = await obtainNodeCredential({
      config,
      enrollClients: (joinToken) =>
        createSherpaClient({ baseUrl: config.server, protocol: "grpc", token: joinToken }),
      logger,
    });
    const agent = await createNodeAgent(config, credential, logger);
    holder.agent = agent;
    agent.start();
    logger.info(
      { server: config.server, nodeName: credential.nodeName, workDir: config.workDir },
      "agent started",
    );
  } catch (error) {
    if (error instanceof AgentRefusedError) {
      exitRefused(error, logger);
    }
    throw error;
  }
}

async function createNodeAgent(
  config: AgentConfig,
  credential: NodeCredential,
  logger: AgentLogger,
): Promise<Agent> {
  const { nodeName } = credential;
  const inventory = await discoverGpus({
    nodeName,
    nvidiaSmi: config.nvidiaSmi,
    simulated: config.gpus,
    logger,
  });
  const agent = createAgent({
    // The session is one long-lived bidi stream, so no call may have a deadline.
    clients: createSherpaClient({
      baseUrl: config.server,
      protocol: "grpc",
      timeoutMs: 0,
      token: credential.credential,
    }),
    nodeName,
    labels: config.labels,
    ...inventory,
    workDir: config.workDir,
    cancelGraceMs: config.cancelGraceMs,
    logger,
    baseEnv: config.taskBaseEnv,
    onRefused: (error) => {
      const refused = AgentRefusedError.credentialRefused(
        error,
        credentialFilePath(config.stateDir),
      );
      // Tasks are stopped first: a node the server no longer accepts must not keep its GPUs busy.
      agent.stop().finally(() => exitRefused(refused, logger));
    },
  });
  return agent;
}

/** Says why the server refused the node, on standard error too (it shows with --log-level silent), and exits 3. */
function exitRefused(error: AgentRefusedError, logger: AgentLogger): never {
  logger.error({ exitCode: refusedExitCode }, error.message);
  process.stderr.write(`sherpa-agent: ${error.message}\n`);
  process.exit(refusedExitCode);
}

/**
 * SIGTERM or SIGINT stops the agent: running tasks are cancelled (SIGTERM,
 * SIGKILL after the grace period) and reported, then the session ends and the
 * process exits 0; before the agent has started (while enrolling), it exits 0
 * at once. A second signal exits at once.
 */
function stopOnSignals(holder: AgentHolder, config: AgentConfig, logger: AgentLogger): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, cancelGraceMs: config.cancelGraceMs }, "stopping");
    setTimeout(() => {
      logger.error({}, "stopping did not finish in time: exiting");
      process.exit(1);
    }, config.cancelGraceMs + stopMarginMs).unref();
    await holder.agent?.stop();
    process.exit(0);
  };
  for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, (received: string) => {
      stop(received).catch((error: unknown) => {
        logger.error({ err: (error as Error).message }, "stopping failed");
        process.exit(1);
      });
    });
  }
}

main().catch((error: unknown) => {
  if (error instanceof AgentConfigError) {
    process.stderr.write(`sherpa-agent: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `sherpa-agent: failed to start: ${(error as Error).stack ?? String(error)}\n`,
  );
  process.exit(1);
});
