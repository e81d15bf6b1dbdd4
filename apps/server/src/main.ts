#!/usr/bin/env node
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { writeCliProfile } from "./access/write-cli-profile.js";
import { buildServer, type SherpaServer } from "./build-server.js";
import { ConfigError, loadConfig, type ServerConfig } from "./config.js";

/** After the grace period, this long is left for closing before the process exits anyway. */
const closeMarginMs = 5_000;

async function main(): Promise<void> {
  const loaded = loadConfig(process.argv.slice(2), process.env, {
    stdoutIsTty: process.stdout.isTTY === true,
  });
  if (loaded.kind === "help") {
    process.stdout.write(loaded.text);
    return;
  }
  const { config } = loaded;
  const server = await buildServer(config);
  stopOnSignals(server, config);
  await server.app.listen({
    host: config.host,
    port: config.port,
    // Fastify cannot see that the listener speaks TLS, so the scheme is set here.
    listenTextResolver: (address) =>
      `Server listening at ${config.tlsCertFile === "" ? address : address.replace(/^http:/, "https:")}`,
  });
  writeCliProfile(
    config.cliProfile,
    {
      server: localUrl(config, server.app.server.address() as AddressInfo),
      tokenFile: config.adminTokenFile,
    },
    server.app.log,
  );
  if (server.metricsApp !== undefined) {
    const separator = config.metricsAddr.lastIndexOf(":");
    await server.metricsApp.listen({
      host: config.metricsAddr.slice(0, separator),
      port: Number(config.metricsAddr.slice(separator + 1)),
    });
    server.app.log.info({ metricsAddr: config.metricsAddr }, "metrics listening");
  }
}

/** The URL a client on this machine reaches the server at. */
function localUrl(config: ServerConfig, address: AddressInfo): string {
  const scheme = config.tlsCertFile === "" ? "http" : "https";
  const anyAddress = config.host === "0.0.0.0" || config.host === "::";
  const host = anyAddress
    ? "127.0.0.1"
    : config.host.includes(":")
      ? `[${config.host}]`
      : config.host;
  return `${scheme}://${host}:${address.port}`;
}

/**
 * SIGTERM or SIGINT drains: readiness and health turn NOT_SERVING, the drain
 * delay lets load balancers notice, then the server stops accepting, lets
 * in-flight calls finish within the grace period and closes storage. A second
 * signal exits at once.
 */
function stopOnSignals({ app, startDraining }: SherpaServer, config: ServerConfig) {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      app.log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    app.log.info(
      { signal, drainDelayMs: config.shutdownDrainDelayMs, graceMs: config.shutdownGraceMs },
      "shutting down",
    );
    startDraining();
    setTimeout(
      () => {
        app.log.error("shutdown did not finish in time: exiting");
        process.exit(1);
      },
      config.shutdownDrainDelayMs + config.shutdownGraceMs + closeMarginMs,
    ).unref();
    await sleep(config.shutdownDrainDelayMs);
    await app.close();
    app.log.info("shut down");
    process.exit(0);
  };
  for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, (received: string) => {
      stop(received).catch((error: unknown) => {
        app.log.error({ err: error }, "shutdown failed");
        process.exit(1);
      });
    });
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`sherpa-server: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `sherpa-server: failed to start: ${(error as Error).stack ?? String(error)}\n`,
  );
  process.exit(1);
});
