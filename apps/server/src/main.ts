#!/usr/bin/env node
import { buildServer } from "./build-server.js";
import { ConfigError, loadConfig } from "./config.js";

async function main(): Promise<void> {
  const loaded = loadConfig(process.argv.slice(2), process.env);
  if (loaded.kind === "help") {
    process.stdout.write(loaded.text);
    return;
  }
  const { config } = loaded;
  const app = await buildServer(config);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      app.log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    app.log.info({ signal, graceMs: config.shutdownGraceMs }, "shutting down");
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  await app.listen({ host: config.host, port: config.port });
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
