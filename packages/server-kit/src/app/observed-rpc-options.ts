import { createContextValues, type Interceptor } from "@connectrpc/connect";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { peerAddressKey, requestIdKey } from "../logging/rpc-context-keys.js";
import { createRpcLoggingInterceptor } from "../logging/rpc-logging-interceptor.js";
import type { GrpcServerMetrics } from "../metrics/grpc-server-metrics.js";
import { createMetricsInterceptor } from "../metrics/metrics-interceptor.js";

/** What {@link observedRpcOptions} gives connect-fastify. */
export interface ObservedRpcOptions {
  interceptors: Interceptor[];
  contextValues: (request: FastifyRequest) => ReturnType<typeof createContextValues>;
}

/**
 * The connect-fastify options that make every call observable: one log line per
 * call through the app's logger and go-grpc-prometheus metrics, both outermost
 * so they see every code, and the request id and peer address handed to them.
 * Spread it into the plugin's options; add the server's own interceptors after
 * `interceptors`.
 */
export function observedRpcOptions(
  app: FastifyInstance,
  metrics: GrpcServerMetrics,
): ObservedRpcOptions {
  return {
    interceptors: [
      createRpcLoggingInterceptor({ logger: app.log }),
      createMetricsInterceptor(metrics),
    ],
    contextValues: (request) =>
      createContextValues().set(requestIdKey, request.id).set(peerAddressKey, request.ip),
  };
}
