import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { TaskService } from "@sherpa/proto";
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@sherpa/proto/grpc/health/v1/health_pb.js";
import { ServerReflection } from "@sherpa/proto/grpc/reflection/v1/reflection_pb.js";
import { HealthBatch } from "./health-batch-service.js";

/**
 * Small handlers of every method kind whose outcome the request picks:
 * - `TaskService.GetTask`: task "t-1" exists, "crash" throws a plain Error, others are NotFound;
 * - `TaskService.SubmitTask`: an empty argv is InvalidArgument;
 * - `Health.Watch` (server stream): sends SERVING, then for service "fail" fails with
 *   Unavailable, for "until-abort" fails with the reason the call is aborted for (client gone,
 *   deadline), for "ignore-abort" ends quietly once aborted, else sends NOT_SERVING;
 * - `HealthBatch.CheckAll` (client stream): answers SERVING for every service it reads;
 * - `ServerReflection.ServerReflectionInfo` (bidi): echoes each host, fails on host "fail".
 */
export function testRoutes(router: ConnectRouter): void {
  router.service(TaskService, {
    getTask({ id }) {
      if (id === "crash") {
        throw new Error("disk on fire");
      }
      if (id !== "t-1") {
        throw new ConnectError(`task ${id} not found`, Code.NotFound);
      }
      return { task: { id } };
    },
    submitTask({ argv }) {
      if (argv.length === 0) {
        throw new ConnectError("argv must not be empty", Code.InvalidArgument);
      }
      return { task: { id: "t-1", argv } };
    },
  });
  router.service(Health, {
    async *watch({ service }, { signal }) {
      yield { status: ServingStatus.SERVING };
      if (service === "fail") {
        throw new ConnectError("health source went away", Code.Unavailable);
      }
      if (service === "until-abort" || service === "ignore-abort") {
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        if (service === "until-abort") {
          throw signal.reason;
        }
        return;
      }
      yield { status: ServingStatus.NOT_SERVING };
    },
  });
  router.service(HealthBatch, {
    async checkAll(requests) {
      const statuses: Record<string, { status: ServingStatus }> = {};
      for await (const { service } of requests) {
        statuses[service] = { status: ServingStatus.SERVING };
      }
      return { statuses };
    },
  });
  router.service(ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const { host } of requests) {
        if (host === "fail") {
          throw new ConnectError(`unknown host ${host}`, Code.InvalidArgument);
        }
        yield { validHost: host };
      }
    },
  });
}
