import { createRegistry } from "@bufbuild/protobuf";
import { fastifyConnectPlugin } from "@connectrpc/connect-fastify";
import { callLimitsFrom, listenerOptionsFrom, loadConfig, type ServerConfig } from "@sherpa/server";
import {
  createGrpcServerMetrics,
  createRpcApp,
  type ListenerTlsOptions,
  observedRpcOptions,
  streamingRequestPaths,
} from "@sherpa/server-kit";
import type { FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { createConformanceService } from "./conformance-service.js";
import { HTTPVersion } from "./gen/connectrpc/conformance/v1/config_pb.js";
import type { ServerCompatRequest } from "./gen/connectrpc/conformance/v1/server_compat_pb.js";
import {
  ConformanceService,
  file_connectrpc_conformance_v1_service,
} from "./gen/connectrpc/conformance/v1/service_pb.js";

/** The built conformance server: its app, and the certificate it serves when TLS is on. */
export interface ConformanceServer {
  app: FastifyInstance;
  /** PEM certificate clients must trust, or empty without TLS. */
  pemCert: Uint8Array;
}

/** Options of {@link buildConformanceServer}. */
export interface ConformanceServerOptions {
  /** Where pino's JSON lines go; stdout belongs to the runner's protocol. */
  logStream: NodeJS.WritableStream;
}

/**
 * Builds a server for the Connect conformance runner out of the parts Sherpa's
 * own server is built from, with Sherpa's default settings: the server-kit app
 * and listener (HTTP/1.1 and h2c on one port, or TLS with ALPN and client
 * certificates), Sherpa's listener timeouts and call limits, connect-fastify
 * with gzip and br, and the RPC logging and metrics interceptors. The runner's
 * request decides TLS and the message size limit. It does not listen.
 */
export async function buildConformanceServer(
  request: ServerCompatRequest,
  { logStream }: ConformanceServerOptions,
): Promise<ConformanceServer> {
  if (request.httpVersion === HTTPVersion.HTTP_VERSION_3) {
    throw new Error("HTTP/3 is not supported: the listener speaks HTTP/1.1 and HTTP/2");
  }
  const config = sherpaDefaults();
  const tls = tlsOptions(request);
  const app = createRpcApp({
    logger: { level: "info", stream: logStream },
    listener: listenerOptionsFrom(config, tls, streamingRequestPaths([ConformanceService])),
  });
  await app.register(fastifyConnectPlugin, {
    routes: (router) => router.service(ConformanceService, createConformanceService()),
    ...observedRpcOptions(app, createGrpcServerMetrics(new Registry())),
    ...callLimitsFrom(config, app),
    // Zero means the runner asks for no limit; Sherpa's default then applies.
    ...(request.messageReceiveLimit > 0 ? { readMaxBytes: request.messageReceiveLimit } : {}),
    // Request info echoes the requests as google.protobuf.Any, which JSON can only write
    // for known types.
    jsonOptions: { registry: createRegistry(file_connectrpc_conformance_v1_service) },
  });
  return { app, pemCert: tls === undefined ? new Uint8Array() : Buffer.from(tls.cert) };
}

/** Sherpa's configuration with every setting at its default. */
function sherpaDefaults(): ServerConfig {
  const loaded = loadConfig([], {});
  if (loaded.kind !== "config") {
    throw new Error("Sherpa's defaults asked for help instead of giving a configuration");
  }
  return loaded.config;
}

function tlsOptions(request: ServerCompatRequest): ListenerTlsOptions | undefined {
  if (!request.useTls) {
    return undefined;
  }
  if (request.serverCreds === undefined) {
    throw new Error("the runner asked for TLS without server credentials");
  }
  return {
    cert: Buffer.from(request.serverCreds.cert),
    key: Buffer.from(request.serverCreds.key),
    clientCa: request.clientTlsCert.length > 0 ? Buffer.from(request.clientTlsCert) : undefined,
  };
}
