import { fastifyConnectPlugin } from "@connectrpc/connect-fastify";
import Fastify, { type FastifyInstance } from "fastify";
import type { ServerConfig } from "./config.js";
import { createH2cListener, type H2cListener } from "./listener/create-h2c-listener.js";
import { createDomainErrorInterceptor } from "./services/domain-error-interceptor.js";
import { createSherpaRoutes } from "./services/sherpa-routes.js";
import { createStores } from "./storage/create-stores.js";
import { openDatabase } from "./storage/database.js";

/** Options of {@link buildServer} that are not configuration. */
export interface BuildServerOptions {
  /** The current time; tests pass a fixed clock. Defaults to the system clock. */
  now?: () => Date;
}

/**
 * Builds the Sherpa server: one Fastify app, on a listener that speaks HTTP/1.1
 * and h2c on one port, serving the Sherpa API over Connect, gRPC and gRPC-Web,
 * backed by the SQLite database in the data directory (migrated on open). It
 * does not listen; `main.ts` does. Closing the app closes the database.
 */
export async function buildServer(
  config: ServerConfig,
  options: BuildServerOptions = {},
): Promise<FastifyInstance> {
  const now = options.now ?? (() => new Date());
  let listener: H2cListener | undefined;
  const app = Fastify({
    logger: { level: config.logLevel },
    serverFactory: (handler) => {
      listener = createH2cListener(handler);
      return listener.server;
    },
  });
  const db = await openDatabase({ dataDir: config.dataDir });
  app.addHook("preClose", (done) => {
    listener?.closeHttp2Sessions();
    done();
  });
  app.addHook("onClose", async () => {
    await db.destroy();
  });
  const stores = createStores(db, { nodeOfflineAfterMs: config.nodeOfflineAfterMs });
  await app.register(fastifyConnectPlugin, {
    routes: createSherpaRoutes({ stores, now }),
    interceptors: [createDomainErrorInterceptor(app.log)],
    readMaxBytes: config.maxMessageBytes,
    shutdownTimeoutMs: config.shutdownGraceMs,
  });
  return app;
}
