import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** The labels every server metric has, as go-grpc-prometheus names them. */
export type GrpcLabel = "grpc_type" | "grpc_service" | "grpc_method";

/** Options of {@link createGrpcServerMetrics}. */
export interface GrpcServerMetricsOptions {
  /** Buckets of `grpc_server_handling_seconds`; defaults to {@link defaultHandlingSecondsBuckets}. */
  histogramBuckets?: number[];
}

/** The RPC server metrics, registered under go-grpc-prometheus names. */
export interface GrpcServerMetrics {
  /** `grpc_server_started_total`: RPCs started. */
  started: Counter<GrpcLabel>;
  /** `grpc_server_handled_total`: RPCs ended, by `grpc_code`. */
  handled: Counter<GrpcLabel | "grpc_code">;
  /** `grpc_server_handling_seconds`: time from start to end of each RPC. */
  handlingSeconds: Histogram<GrpcLabel>;
  /** `grpc_server_msg_received_total`: request messages read by handlers. */
  msgReceived: Counter<GrpcLabel>;
  /** `grpc_server_msg_sent_total`: response messages produced by handlers. */
  msgSent: Counter<GrpcLabel>;
  /** `grpc_server_in_flight_requests`: RPCs started and not yet ended. */
  inFlight: Gauge<GrpcLabel>;
}

/** Prometheus' default buckets, which go-grpc-prometheus uses for handling time. */
export const defaultHandlingSecondsBuckets: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

const labelNames: GrpcLabel[] = ["grpc_type", "grpc_service", "grpc_method"];

/**
 * Registers the gRPC server metrics in `registry` with the names, help texts
 * and labels of go-grpc-prometheus, so that existing dashboards work; feed them
 * with `createMetricsInterceptor`. Registering twice in one registry throws.
 */
export function createGrpcServerMetrics(
  registry: Registry,
  options: GrpcServerMetricsOptions = {},
): GrpcServerMetrics {
  const registers = [registry];
  return {
    started: new Counter({
      name: "grpc_server_started_total",
      help: "Total number of RPCs started on the server.",
      labelNames,
      registers,
    }),
    handled: new Counter({
      name: "grpc_server_handled_total",
      help: "Total number of RPCs completed on the server, regardless of success or failure.",
      labelNames: [...labelNames, "grpc_code"],
      registers,
    }),
    handlingSeconds: new Histogram({
      name: "grpc_server_handling_seconds",
      help: "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
      labelNames,
      buckets: [...(options.histogramBuckets ?? defaultHandlingSecondsBuckets)],
      registers,
    }),
    msgReceived: new Counter({
      name: "grpc_server_msg_received_total",
      help: "Total number of RPC stream messages received on the server.",
      labelNames,
      registers,
    }),
    msgSent: new Counter({
      name: "grpc_server_msg_sent_total",
      help: "Total number of gRPC stream messages sent by the server.",
      labelNames,
      registers,
    }),
    inFlight: new Gauge({
      name: "grpc_server_in_flight_requests",
      help: "Number of RPCs started on the server and not yet completed.",
      labelNames,
      registers,
    }),
  };
}
