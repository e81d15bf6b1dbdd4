import { create, createFileRegistry } from "@bufbuild/protobuf";
import type { GenService } from "@bufbuild/protobuf/codegenv2";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import {
  file_grpc_health_v1_health,
  type HealthCheckRequestSchema,
  type HealthListResponseSchema,
} from "@sherpa/proto/grpc/health/v1/health_pb.js";

const file = create(FileDescriptorProtoSchema, {
  name: "test/v1/health_batch.proto",
  package: "test.v1",
  dependency: [file_grpc_health_v1_health.proto.name],
  syntax: "proto3",
  service: [
    {
      name: "HealthBatch",
      method: [
        {
          name: "CheckAll",
          inputType: ".grpc.health.v1.HealthCheckRequest",
          outputType: ".grpc.health.v1.HealthListResponse",
          clientStreaming: true,
        },
      ],
    },
  ],
});

const registry = createFileRegistry(file, (name) =>
  name === file_grpc_health_v1_health.proto.name ? file_grpc_health_v1_health : undefined,
);

/**
 * A test-only service with the one method kind our protos lack, client
 * streaming: `test.v1.HealthBatch/CheckAll` reads health checks and answers
 * with all their statuses at once.
 */
export const HealthBatch = registry.getService("test.v1.HealthBatch") as GenService<{
  checkAll: {
    methodKind: "client_streaming";
    input: typeof HealthCheckRequestSchema;
    output: typeof HealthListResponseSchema;
  };
}>;
