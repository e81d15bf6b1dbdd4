import type { DescMethod } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import type { LabelValues } from "prom-client";
import { grpcCodeName } from "./grpc-code-name.js";
import type { GrpcLabel, GrpcServerMetrics } from "./grpc-server-metrics.js";
import { observeCall } from "./observe-call.js";

const grpcTypes: Record<DescMethod["methodKind"], string> = {
  unary: "unary",
  server_streaming: "server_stream",
  client_streaming: "client_stream",
  bidi_streaming: "bidi_stream",
};

/**
 * A server interceptor that feeds the go-grpc-prometheus metrics for every
 * call, whatever the wire protocol (Connect, gRPC, gRPC-Web): started when the
 * call starts, each message received and sent, and handled, handling time and
 * in-flight once when the call ends, with the code it ends with (Canceled when
 * the client goes away). List it before interceptors that turn errors into
 * codes, so that `grpc_code` is the code the caller sees.
 */
export function createMetricsInterceptor(metrics: GrpcServerMetrics): Interceptor {
  return (next) => async (req) => {
    const labels: LabelValues<GrpcLabel> = {
      grpc_type: grpcTypes[req.method.methodKind],
      grpc_service: req.method.parent.typeName,
      grpc_method: req.method.name,
    };
    metrics.started.inc(labels);
    metrics.inFlight.inc(labels);
    const stopTimer = metrics.handlingSeconds.startTimer(labels);
    return observeCall(next, req, {
      onRequestMessage: () => metrics.msgReceived.inc(labels),
      onResponseMessage: () => metrics.msgSent.inc(labels),
      onEnd: (error) => {
        const grpc_code = error === undefined ? "OK" : grpcCodeName(error.code);
        metrics.handled.inc({ ...labels, grpc_code });
        stopTimer();
        metrics.inFlight.dec(labels);
      },
    });
  };
}
