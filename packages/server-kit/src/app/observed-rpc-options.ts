import { createContextValues, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { createMalformedRequestInterceptor } from "../errors/malformed-request-interceptor.js";
import { peerAddressKey, requestIdKey } from "../logging/rpc-context-keys.js";
import { createRpcLoggingInterceptor } from "../logging/rpc-logging-interceptor.js";
import type { GrpcServerMetrics } from "../metrics/grpc-server-metrics.js";
import { createMetricsInterceptor } from "../metrics/metrics-interceptor.js";
import { markIntercepted, rememberCallContext } from "./observe-rejected-calls.js";

/** What {@link observedRpcOptions} gives connect-fastify. */
export interface ObservedRpcOptions {
  interceptors: Interceptor[];
  contextValues: (request: FastifyRequest) => ReturnType<typeof createContextValues>;
  /** Keeps each call's context, so that `observeRejectedCalls` can observe calls rejected early. */
  requestGate: (context: HandlerContext) => void;
}

/**
 * The connect-fastify options that make every call observable: one log line per
 * call through the app's logger and go-grpc-prometheus metrics, both outermost
 * so they see every code, and the request id and peer address handed to them;
 * inside them, a request stream message that fails to decode is InvalidArgument
 * (connect-es says Internal). Spread it into the plugin's options; add the
 * server's own interceptors after `interceptors`; wrap the routes with
 * `observeRejectedCalls(options.interceptors, routes)` so that unary calls
 * connect-es rejects before any interceptor are observed too.
 */
export function observedRpcOptions(
  app: FastifyInstance,
  metrics: GrpcServerMetrics,
): ObservedRpcOptions {
  return {
    interceptors: [
      markIntercepted,
      createRpcLoggingInterceptor({ logger: app.log }),
      createMetricsInterceptor(metrics),
      createMalformedRequestInterceptor(),
    ],
    contextValues: (request) =>
      createContextValues().set(requestIdKey, request.id).set(peerAddressKey, request.ip),
    requestGate: rememberCallContext,
  };
}
