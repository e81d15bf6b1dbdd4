import { cors, type Interceptor } from "@connectrpc/connect";
import { fastifyConnectPlugin } from "@connectrpc/connect-fastify";
import fastifyCors from "@fastify/cors";
import fastifyWebsocket from "@fastify/websocket";
import { file_google_rpc_code } from "@sherpa/proto/google/rpc/code_pb.js";
import { file_google_rpc_error_details } from "@sherpa/proto/google/rpc/error_details_pb.js";
import { file_google_rpc_status } from "@sherpa/proto/google/rpc/status_pb.js";
import {
  Health,
  HealthCheckResponse_ServingStatus,
} from "@sherpa/proto/grpc/health/v1/health_pb.js";
import { ServerReflection as ServerReflectionV1 } from "@sherpa/proto/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "@sherpa/proto/grpc/reflection/v1alpha/reflection_pb.js";
import {
  addAllowHeader,
  allowEarlyResponseHeaders,
  createGrpcServerMetrics,
  createHealthService,
  createHealthStatus,
  createReflectionServices,
  createRpcApp,
  observedRpcOptions,
  observeRejectedCalls,
  streamingRequestPaths,
} from "@sherpa/server-kit";
import Fastify, { type FastifyInstance } from "fastify";
import { sql } from "kysely";
import { collectDefaultMetrics, Registry } from "prom-client";
import { createAuditLog } from "./access/audit-log.js";
import { createAuthorizationInterceptor } from "./access/authorization-interceptor.js";
import { bootstrapAdminToken } from "./access/bootstrap-admin-token.js";
import { createAuthenticator } from "./access/create-authenticator.js";
import { createOidcVerifier } from "./access/oidc-verifier.js";
import { createNodePrincipal } from "./access/principal.js";
import { principalKey } from "./access/principal-context.js";
import { createRateLimitInterceptor } from "./access/rate-limit-interceptor.js";
import { createRateLimiter } from "./access/rate-limiter.js";
import { publicRpcPaths, rpcPolicies } from "./access/rpc-policies.js";
import type { ServerConfig } from "./config.js";
import { createControlPlane } from "./control-plane.js";
import { createEmbeddedAgent, embeddedNodeNameOf } from "./embedded-agent.js";
import { registerAuthentication, webSocketProtocol } from "./http/authentication-hook.js";
import { registerMetricsRoute } from "./http/metrics-route.js";
import { registerProbeRoutes } from "./http/probe-routes.js";
import { requirePermission } from "./http/require-permission.js";
import { registerUnknownRouteHandler } from "./http/unknown-route-handler.js";
import { webSocketErrorHandler } from "./http/websocket-error-handler.js";
import { registerWebSocketRoutes } from "./http/websocket-routes.js";
import { registerAccessMetrics } from "./metrics/access-metrics.js";
import { registerDomainMetrics } from "./metrics/domain-metrics.js";
import { callLimitsFrom, listenerOptionsFrom } from "./rpc-limits.js";
import { createDomainErrorInterceptor } from "./services/domain-error-interceptor.js";
import { sherpaServices } from "./services/sherpa-routes.js";
import { openDatabase } from "./storage/database.js";
import { createFleetCounts } from "./storage/fleet-counts.js";
import { readTlsFiles } from "./tls-files.js";

/** Options of {@link buildServer} that are not configuration. */
export interface BuildServerOptions {
  /** The current time; tests pass a fixed clock. Defaults to the system clock. */
  now?: () => Date;
}

/** The built server: its Fastify app, an optional metrics-only app, and its drain switch. */
export interface SherpaServer {
  /** The app on the main port. Closing it closes everything, storage included. */
  app: FastifyInstance;
  /** An app serving only `/metrics`, when SHERPA_METRICS_ADDR is set; closed with `app`. */
  metricsApp: FastifyInstance | undefined;
  /** Reports NOT_SERVING (gRPC health) and 503 (`/readyz`) while calls keep being served. */
  startDraining(): void;
  /** Whether this start made the first admin token (a fresh data directory). */
  madeAdminToken: boolean;
}

/**
 * Builds the Sherpa server: one Fastify app on a listener that speaks HTTP/1.1
 * and HTTP/2 on one port (h2c, or TLS with ALPN), serving the Sherpa API, gRPC
 * health and reflection over Connect, gRPC and gRPC-Web, plus `/metrics`,
 * `/healthz` and `/readyz`, backed by the SQLite database in the data
 * directory (migrated on open). It does not listen; `main.ts` does.
 */
export async function buildServer(
  config: ServerConfig,
  options: BuildServerOptions = {},
): Promise<SherpaServer> {
  const now = options.now ?? (() => new Date());
  const app = createRpcApp({
    logger: loggerOptions(config),
    listener: listenerOptionsFrom(
      config,
      readTlsFiles(config),
      streamingRequestPaths([
        ...sherpaServices,
        Health,
        ServerReflectionV1,
        ServerReflectionV1alpha,
      ]),
    ),
  });
  const db = await openDatabase({ dataDir: config.dataDir }).catch(async (error: unknown) => {
    await app.close();
    throw error;
  });
  const embeddedNodeName = config.embeddedAgent ? embeddedNodeNameOf(config) : "";
  const controlPlane = createControlPlane(db, {
    nodeOfflineAfterMs: config.nodeOfflineAfterMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    embeddedNodeName,
    now,
    logger: app.log,
  });
  const { credentials } = controlPlane.stores;
  const madeAdminToken = await bootstrapAdminToken({
    credentials,
    file: config.adminTokenFile,
    now,
    logger: app.log,
  });
  warnIfCleartext(config, app.log);
  const audit = createAuditLog(config.auditLog, now);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client names these gauges with a _total suffix, which Prometheus reserves
  // for counters (promtool check metrics rejects them); the handle counts stay
  // available as nodejs_active_handles and nodejs_active_requests.
  for (const name of [
    "nodejs_active_handles_total",
    "nodejs_active_requests_total",
    "nodejs_active_resources_total",
  ]) {
    registry.removeSingleMetric(name);
  }
  registerDomainMetrics(registry, createFleetCounts(db));
  const accessMetrics = registerAccessMetrics(registry);
  const health = createHealthStatus(sherpaServices.map((service) => service.typeName));
  const reflection = createReflectionServices(
    [
      ...[...sherpaServices, Health].map((service) => service.file),
      // Errors carry a google.rpc.Status whose details are Any messages of these types;
      // clients without local protos (grpcurl, buf curl) decode them through reflection.
      file_google_rpc_status,
      file_google_rpc_error_details,
      file_google_rpc_code,
    ],
    [...sherpaServices, Health, ServerReflectionV1, ServerReflectionV1alpha].map(
      (service) => service.typeName,
    ),
  );
  let draining = false;
  const startDraining = () => {
    draining = true;
    health.setAll(HealthCheckResponse_ServingStatus.NOT_SERVING);
  };

  const domainErrors = createDomainErrorInterceptor(app.log);
  const authorization = createAuthorizationInterceptor({ policies: rpcPolicies, audit });
  const routeAccess = {
    audit,
    limiter: createRateLimiter({
      ratePerSecond: config.rateLimitPerSecond,
      burst: config.rateLimitBurst,
      now: () => now().getTime(),
    }),
    onLimited: (kind: string) =>
      accessMetrics.rateLimited.inc({ reason: "rate", principal_kind: kind }),
  };
  const rateLimit = createRateLimitInterceptor(routeAccess);
  const embeddedAgent = config.embeddedAgent
    ? await createEmbeddedAgent(config, {
        routes: controlPlane.routes,
        interceptors: [actAsEmbeddedAgent(embeddedNodeName), authorization, domainErrors],
        logger: app.log.child({ component: "embedded-agent" }),
      })
    : undefined;

  if (config.corsOrigins.length > 0) {
    await app.register(fastifyCors, {
      origin: config.corsOrigins.includes("*") ? true : config.corsOrigins,
      methods: [...cors.allowedMethods],
      allowedHeaders: [...cors.allowedHeaders, "x-request-id", "authorization"],
      exposedHeaders: [...cors.exposedHeaders, "x-request-id"],
      maxAge: 7200,
    });
  }
  registerAuthentication(app, {
    authenticator: createAuthenticator({
      credentials,
      jwt:
        config.oidcIssuer === ""
          ? undefined
          : createOidcVerifier({
              issuer: config.oidcIssuer,
              audience: config.oidcAudience,
              claim: config.oidcClaim,
              claimPrefix: config.oidcClaimPrefix,
              jwksCooldownMs: config.oidcJwksCooldownMs,
              logger: app.log,
            }),
      now,
    }),
    failures: createRateLimiter({
      ratePerSecond: config.authFailuresPerMinute / 60,
      burst: config.authFailuresPerMinute,
      now: () => now().getTime(),
    }),
    onLimited: () => accessMetrics.rateLimited.inc({ reason: "auth_failures", principal_kind: "" }),
    audit,
    publicPaths: new Set(["/healthz", "/readyz", ...publicRpcPaths]),
    logger: app.log,
  });
  await app.register(fastifyWebsocket, {
    errorHandler: webSocketErrorHandler,
    options: {
      maxPayload: 64 * 1024,
      // Clients offer `sherpa.v1` beside their `bearer.<token>` entry; never echo the token.
      handleProtocols: (protocols) =>
        protocols.has(webSocketProtocol) ? webSocketProtocol : false,
    },
    // Clients learn the server is going away (1001), not that their stream broke.
    preClose(done) {
      for (const client of this.websocketServer.clients) {
        client.close(1001, "server shutting down");
      }
      done();
    },
  });
  registerWebSocketRoutes(app, {
    tasks: controlPlane.stores.tasks,
    logs: controlPlane.stores.logs,
    events: controlPlane.events,
    bufferLimitBytes: config.webSocketBufferBytes,
    allowedOrigins: config.corsOrigins,
    logger: app.log,
    routeAccess,
  });
  const observed = observedRpcOptions(app, createGrpcServerMetrics(registry));
  await app.register(fastifyConnectPlugin, {
    routes: observeRejectedCalls(
      observed.interceptors,
      allowEarlyResponseHeaders(
        addAllowHeader((router) => {
          controlPlane.routes(router);
          router.service(Health, createHealthService(health));
          router.service(ServerReflectionV1, reflection.v1);
          router.service(ServerReflectionV1alpha, reflection.v1alpha);
        }),
      ),
    ),
    ...observed,
    contextValues: (request) =>
      observed.contextValues(request).set(principalKey, request.principal),
    interceptors: [...observed.interceptors, authorization, rateLimit, domainErrors],
    ...callLimitsFrom(config, app),
  });
  registerProbeRoutes(app, async () => {
    if (draining) {
      return "shutting down";
    }
    return sql`select 1`.execute(db).then(
      () => undefined,
      () => "storage unreachable",
    );
  });
  registerMetricsRoute(app, registry, requirePermission("metrics.read", routeAccess));
  registerUnknownRouteHandler(app);
  const metricsApp = config.metricsAddr === "" ? undefined : Fastify({ logger: false });
  if (metricsApp !== undefined) {
    registerMetricsRoute(metricsApp, registry);
  }

  app.addHook("onReady", (done) => {
    controlPlane.start();
    embeddedAgent?.start();
    health.setAll(HealthCheckResponse_ServingStatus.SERVING);
    done();
  });
  app.addHook("preClose", (done) => {
    startDraining();
    // Streams still open when the grace period ends are told to come back later.
    setTimeout(() => health.close(), config.shutdownGraceMs).unref();
    done();
  });
  app.addHook("onClose", async () => {
    health.close();
    // Its tasks are children of this process: stop them while storage can still record it.
    await embeddedAgent?.stop();
    await controlPlane.stop();
    await metricsApp?.close();
    await db.destroy();
    audit.close();
  });
  return { app, metricsApp, startDraining, madeAdminToken };
}

/** Makes the in-process agent's calls those of the embedded-agent principal of its node. */
function actAsEmbeddedAgent(nodeName: string): Interceptor {
  const principal = createNodePrincipal("embedded-agent", "embedded-agent", nodeName);
  return (next) => (request) => {
    request.contextValues.set(principalKey, principal);
    return next(request);
  };
}

/** Credentials sent in the clear over a network can be read by anyone on the way. */
function warnIfCleartext(
  config: ServerConfig,
  logger: { warn(details: object, message: string): void },
) {
  const loopback =
    ["127.0.0.1", "::1", "localhost"].includes(config.host) || config.host.startsWith("127.");
  if (!loopback && config.tlsCertFile === "") {
    logger.warn(
      { host: config.host },
      "serving credentials over cleartext on a non-loopback address: anyone on the network path can read bearer tokens; set SHERPA_TLS_CERT and SHERPA_TLS_KEY, or put a TLS-terminating proxy in front",
    );
  }
}

function loggerOptions({ logLevel: level, prettyLogs }: ServerConfig) {
  // People at a terminal get readable lines; pipes and log collectors get JSON.
  return prettyLogs ? { level, transport: { target: "pino-pretty" } } : { level };
}
