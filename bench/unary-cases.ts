import { create, toBinary, toJsonString } from "@bufbuild/protobuf";
import { createClient, type Transport } from "@connectrpc/connect";
import { GetTaskRequestSchema, SubmitTaskRequestSchema, TaskService } from "@sherpa/proto";
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
} from "@sherpa/proto/grpc/health/v1/health_pb.js";
import { grpcFrame } from "./grpc-frames.js";
import { pendingTaskRequest } from "./pending-task.js";
import type { ServerUnderTest, UnaryCaseId } from "./server-under-test.js";

/** How a unary call travels. */
export type Protocol = "grpc" | "connect-proto" | "connect-json";

/** One unary case: the same request to every server that serves it. */
export interface UnaryCase {
  id: UnaryCaseId;
  /** Its name in the table. */
  title: string;
  protocol: Protocol;
  /** The RPC's path, also the method name Sherpa's metrics count it under. */
  path: string;
  method: string;
  /** The request body as it goes on the wire. */
  body: Uint8Array;
  /** Whether the call carries the credential; health checks, like a load balancer's, do not. */
  authenticated: boolean;
  /** Makes one call with a real client and throws unless the answer is the expected one. */
  check(transport: Transport, headers: Record<string, string>): Promise<void>;
}

/** The unary cases, in the order of the table; GetTask reads `getTaskId`. */
export function unaryCases(getTaskId: string): UnaryCase[] {
  const getTaskRequest = create(GetTaskRequestSchema, { id: getTaskId });
  const checkGetTask = async (transport: Transport, headers: Record<string, string>) => {
    const response = await createClient(TaskService, transport).getTask(getTaskRequest, {
      headers,
    });
    if (response.task?.id !== getTaskId) {
      throw new Error(`GetTask answered task "${response.task?.id}", not ${getTaskId}`);
    }
  };
  const getTask = {
    path: "/sherpa.v1.TaskService/GetTask",
    method: "GetTask",
    authenticated: true,
    check: checkGetTask,
  };
  const submitTaskRequest = create(SubmitTaskRequestSchema, pendingTaskRequest);
  return [
    {
      ...getTask,
      id: "get-task-grpc",
      title: "GetTask, gRPC (h2c)",
      protocol: "grpc",
      body: grpcFrame(toBinary(GetTaskRequestSchema, getTaskRequest)),
    },
    {
      ...getTask,
      id: "get-task-connect-proto",
      title: "GetTask, Connect binary (h2c)",
      protocol: "connect-proto",
      body: toBinary(GetTaskRequestSchema, getTaskRequest),
    },
    {
      ...getTask,
      id: "get-task-connect-json",
      title: "GetTask, Connect JSON (HTTP/1.1)",
      protocol: "connect-json",
      body: Buffer.from(toJsonString(GetTaskRequestSchema, getTaskRequest)),
    },
    {
      id: "health-check-grpc",
      title: "Health/Check, gRPC (h2c), no credential",
      protocol: "grpc",
      path: "/grpc.health.v1.Health/Check",
      method: "Check",
      body: grpcFrame(toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema))),
      authenticated: false,
      async check(transport) {
        const response = await createClient(Health, transport).check({});
        if (response.status !== HealthCheckResponse_ServingStatus.SERVING) {
          throw new Error(`Health/Check answered status ${response.status}, not SERVING`);
        }
      },
    },
    {
      id: "submit-task-grpc",
      title: "SubmitTask, gRPC (h2c)",
      protocol: "grpc",
      path: "/sherpa.v1.TaskService/SubmitTask",
      method: "SubmitTask",
      body: grpcFrame(toBinary(SubmitTaskRequestSchema, submitTaskRequest)),
      authenticated: true,
      async check(transport, headers) {
        const response = await createClient(TaskService, transport).submitTask(submitTaskRequest, {
          headers,
        });
        if (response.task?.name !== pendingTaskRequest.name) {
          throw new Error(`SubmitTask answered task "${response.task?.name}"`);
        }
      },
    },
  ];
}

/** The base URL a protocol reaches a server at, if it serves it. */
export function baseUrlFor(server: ServerUnderTest, protocol: Protocol): string | undefined {
  return protocol === "connect-json" ? server.h1Url : server.h2Url;
}

/** The protocol's request headers, as its clients send them. */
export function protocolHeaders(protocol: Protocol): Record<string, string> {
  switch (protocol) {
    case "grpc":
      return { "content-type": "application/grpc", te: "trailers" };
    case "connect-proto":
      return { "content-type": "application/proto", "connect-protocol-version": "1" };
    case "connect-json":
      return { "content-type": "application/json", "connect-protocol-version": "1" };
  }
}
