#!/usr/bin/env node
import { hostname } from "node:os";
import { createSherpaClient } from "@sherpa/sdk";
import { type Agent, createAgent } from "./agent/create-agent.js";
import { type AgentConfig, AgentConfigError, loadAgentConfig } from "./agent-config.js";
import type { AgentLogger } from "./agent-logger.js";
import { discoverGpus } from "./gpu/discover-gpus.js";
import { createJsonLogger } from "./json-logger.js";

/** After the cancel grace period, this long is left for stopping before the process exits anyway. */
const stopMarginMs = 15_000;

async function main(): Promise<void> {
  const loaded = loadAgentConfig(process.argv.slice(2), process.env, { hostname: hostname() });
  if (loaded.kind === "help") {
    process.stdout.write(loaded.text);
    return;
  }
  const { config } = loaded;
  const logger = createJsonLogger({ level: config.logLevel });
  const inventory = await discoverGpus({
    nodeName: config.nodeName,
    nvidiaSmi: config.nvidiaSmi,
    simulated: config.gpus,
    logger,
  });
  const agent = createAgent({
    // The session is one long-lived bidi stream, so no call may have a deadline.
    clients: createSherpaClient({ baseUrl: config.server, protocol: "grpc", timeoutMs: 0 }),
    nodeName: config.nodeName,
    labels: config.labels,
    ...inventory,
    workDir: config.workDir,
    cancelGraceMs: config.cancelGraceMs,
    logger,
    baseEnv: process.env,
  });
  stopOnSignals(agent, config, logger);
  agent.start();
  logger.info(
    { server: config.server, nodeName: config.nodeName, workDir: config.workDir },
    "agent started",
  );
}

/**
 * SIGTERM or SIGINT stops the agent: running tasks are cancelled (SIGTERM,
 * SIGKILL after the grace period) and reported, then the session ends and the
 * process exits 0. A second signal exits at once.
 */
function stopOnSignals(agent: Agent, config: AgentConfig, logger: AgentLogger): void {
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
    await agent.stop();
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
