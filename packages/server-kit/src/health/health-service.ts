import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { Health, HealthCheckResponse } from "@sherpa/proto/grpc/health/v1/health_pb.js";
import type { HealthStatus } from "./health-status.js";

/**
 * Create the `grpc.health.v1.Health` implementation (Check, Watch, List) over
 * the given statuses, following
 * https://github.com/grpc/grpc/blob/master/doc/health-checking.md.
 */
export function createHealthService(status: HealthStatus): ServiceImpl<typeof Health> {
  return {
    check(request) {
      const serving = status.get(request.service);
      if (serving === undefined) {
        throw new ConnectError(
          `no health status for service "${request.service}"; ask for "" (the whole server) or one of the services this server lists`,
          Code.NotFound,
        );
      }
      return { status: serving };
    },
    async *watch(request, context) {
      for await (const serving of status.watch(request.service, context.signal)) {
        yield { status: serving };
      }
      // The watch only ends by itself when statuses were closed; a client that
      // sees UNAVAILABLE retries with backoff against another replica.
      if (status.closed) {
        throw new ConnectError("server is shutting down", Code.Unavailable);
      }
      // Ended by the call's signal: a passed deadline must reach the caller as
      // DeadlineExceeded, not as a stream that ended normally.
      if (context.signal.aborted) {
        throw ConnectError.from(context.signal.reason);
      }
    },
    list() {
      const statuses: Record<string, Pick<HealthCheckResponse, "status">> = {};
      for (const [service, serving] of status.list()) {
        statuses[service] = { status: serving };
      }
      return { statuses };
    },
  };
}
