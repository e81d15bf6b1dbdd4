export { addAllowHeader } from "./app/add-allow-header.js";
export type { RpcAppOptions } from "./app/create-rpc-app.js";
export { createRpcApp } from "./app/create-rpc-app.js";
export { allowEarlyResponseHeaders, sendResponseHeaders } from "./app/early-response-headers.js";
export { observeRejectedCalls } from "./app/observe-rejected-calls.js";
export type { ObservedRpcOptions } from "./app/observed-rpc-options.js";
export { observedRpcOptions } from "./app/observed-rpc-options.js";
export { abortedCallError } from "./errors/aborted-call-error.js";
export { malformedRequestError } from "./errors/malformed-request-error.js";
export { sendRpcError } from "./errors/send-rpc-error.js";
export { createHealthService } from "./health/health-service.js";
export type { HealthStatus } from "./health/health-status.js";
export { createHealthStatus } from "./health/health-status.js";
export type { Listener, ListenerOptions, ListenerTlsOptions } from "./listener/create-listener.js";
export { createListener } from "./listener/create-listener.js";
export { streamingRequestPaths } from "./listener/streaming-request-paths.js";
export { resolveRequestId } from "./logging/resolve-request-id.js";
export { peerAddressKey, requestIdKey } from "./logging/rpc-context-keys.js";
export type { RpcLogger, RpcLoggingInterceptorOptions } from "./logging/rpc-logging-interceptor.js";
export { createRpcLoggingInterceptor } from "./logging/rpc-logging-interceptor.js";
export { grpcCodeName } from "./metrics/grpc-code-name.js";
export type {
  GrpcLabel,
  GrpcServerMetrics,
  GrpcServerMetricsOptions,
} from "./metrics/grpc-server-metrics.js";
export {
  createGrpcServerMetrics,
  defaultHandlingSecondsBuckets,
} from "./metrics/grpc-server-metrics.js";
export { createMetricsInterceptor } from "./metrics/metrics-interceptor.js";
export type { ReflectionServices } from "./reflection/reflection-services.js";
export { createReflectionServices } from "./reflection/reflection-services.js";
