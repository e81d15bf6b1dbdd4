import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import {
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import { NodeService, QueueService, ResourceGroupService, TaskService } from "@sherpa/proto";
import { Health } from "@sherpa/proto/grpc/health/v1/health_pb.js";
import {
  type ServerReflectionResponse,
  ServerReflection as ServerReflectionV1,
} from "@sherpa/proto/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "@sherpa/proto/grpc/reflection/v1alpha/reflection_pb.js";
import { listWithDependencies } from "./list-with-dependencies.js";
import type { ReflectionQuery } from "./reflection-answerer.js";
import { createReflectionServices } from "./reflection-services.js";

const sherpaServices = [TaskService, QueueService, NodeService, ResourceGroupService];
const listed = [
  ...sherpaServices.map((service) => service.typeName),
  Health.typeName,
  ServerReflectionV1.typeName,
  ServerReflectionV1alpha.typeName,
];
const reflection = createReflectionServices(
  [...sherpaServices, Health].map((service) => service.file),
  listed,
);
const transport = createRouterTransport(({ service }) => {
  service(ServerReflectionV1, reflection.v1);
  service(ServerReflectionV1alpha, reflection.v1alpha);
});

type Answer = ServerReflectionResponse["messageResponse"];

async function* requests(queries: ReflectionQuery[]) {
  for (const messageRequest of queries) {
    yield { host: "localhost", messageRequest };
  }
}

/** Both protocol versions, each asking its queries on one stream. */
const versions: { name: string; ask(queries: ReflectionQuery[]): Promise<Answer[]> }[] = [
  {
    name: "grpc.reflection.v1",
    async ask(queries) {
      const answers: Answer[] = [];
      const client = createClient(ServerReflectionV1, transport);
      for await (const response of client.serverReflectionInfo(requests(queries))) {
        answers.push(response.messageResponse);
      }
      return answers;
    },
  },
  {
    name: "grpc.reflection.v1alpha",
    async ask(queries) {
      const answers: Answer[] = [];
      const client = createClient(ServerReflectionV1alpha, transport);
      for await (const response of client.serverReflectionInfo(requests(queries))) {
        // Same fields as v1; only the message type names differ.
        answers.push(response.messageResponse as Answer);
      }
      return answers;
    },
  },
];

function decodeFiles(answer: Answer | undefined): FileDescriptorProto[] {
  assert.equal(answer?.case, "fileDescriptorResponse", JSON.stringify(answer));
  return answer.value.fileDescriptorProto.map((bytes) =>
    fromBinary(FileDescriptorProtoSchema, bytes),
  );
}

function assertNotFound(answer: Answer | undefined, mentioning: string): void {
  assert.equal(answer?.case, "errorResponse", JSON.stringify(answer));
  assert.equal(answer.value.errorCode, Code.NotFound);
  assert.match(answer.value.errorMessage, new RegExp(mentioning.replace(/\./g, "\\.")));
}

for (const { name, ask } of versions) {
  describe(name, () => {
    it("lists the given services", async () => {
      const [answer] = await ask([{ case: "listServices", value: "" }]);
      assert.equal(answer?.case, "listServicesResponse");
      assert.deepEqual(
        answer.value.service.map((service) => service.name),
        listed,
      );
    });

    it("answers a service with its file first and every transitive import once", async () => {
      const [answer] = await ask([
        { case: "fileContainingSymbol", value: "sherpa.v1.TaskService" },
      ]);
      const files = decodeFiles(answer);
      const names = files.map((file) => file.name);
      assert.equal(names[0], "sherpa/v1/task.proto");
      for (const expected of [
        "google/api/annotations.proto",
        "google/api/http.proto",
        "google/api/field_behavior.proto",
        "google/protobuf/descriptor.proto",
        "google/protobuf/timestamp.proto",
        "google/protobuf/duration.proto",
      ]) {
        assert.ok(names.includes(expected), `${expected} missing from ${names.join(", ")}`);
      }
      assert.equal(new Set(names).size, names.length, `duplicates in ${names.join(", ")}`);
      for (const file of files) {
        for (const dependency of file.dependency) {
          assert.ok(names.includes(dependency), `${file.name} imports ${dependency}, not returned`);
        }
      }
    });

    const symbols = [
      { kind: "service", symbol: "sherpa.v1.QueueService", file: "sherpa/v1/queue.proto" },
      { kind: "method", symbol: "sherpa.v1.TaskService.SubmitTask", file: "sherpa/v1/task.proto" },
      { kind: "message", symbol: "sherpa.v1.Task", file: "sherpa/v1/task.proto" },
      { kind: "field", symbol: "sherpa.v1.Task.gpu_count", file: "sherpa/v1/task.proto" },
      { kind: "map entry", symbol: "sherpa.v1.Task.EnvEntry", file: "sherpa/v1/task.proto" },
      { kind: "enum", symbol: "sherpa.v1.TaskState", file: "sherpa/v1/task.proto" },
      { kind: "enum value", symbol: "sherpa.v1.TASK_STATE_PENDING", file: "sherpa/v1/task.proto" },
      {
        kind: "nested enum",
        symbol: "google.protobuf.FieldDescriptorProto.Type",
        file: "google/protobuf/descriptor.proto",
      },
      { kind: "extension", symbol: "google.api.http", file: "google/api/annotations.proto" },
      {
        kind: "well-known type",
        symbol: "google.protobuf.Timestamp",
        file: "google/protobuf/timestamp.proto",
      },
      { kind: "health", symbol: "grpc.health.v1.Health", file: "grpc/health/v1/health.proto" },
      {
        kind: "reflection itself",
        symbol: "grpc.reflection.v1.ServerReflection",
        file: "grpc/reflection/v1/reflection.proto",
      },
    ];
    for (const { kind, symbol, file } of symbols) {
      it(`finds the file containing a ${kind}`, async () => {
        const [answer] = await ask([{ case: "fileContainingSymbol", value: symbol }]);
        assert.equal(decodeFiles(answer)[0]?.name, file);
      });
    }

    it("answers a file by name", async () => {
      const [answer] = await ask([{ case: "fileByFilename", value: "sherpa/v1/queue.proto" }]);
      const names = decodeFiles(answer).map((file) => file.name);
      assert.equal(names[0], "sherpa/v1/queue.proto");
      assert.ok(names.includes("google/protobuf/field_mask.proto"));
    });

    it("answers the file declaring an extension, and the extension numbers of a type", async () => {
      const answers = await ask([
        {
          case: "fileContainingExtension",
          value: { containingType: "google.protobuf.MethodOptions", extensionNumber: 72295728 },
        },
        { case: "allExtensionNumbersOfType", value: "google.protobuf.FieldOptions" },
      ]);
      assert.equal(decodeFiles(answers[0])[0]?.name, "google/api/annotations.proto");
      assert.equal(answers[1]?.case, "allExtensionNumbersResponse");
      assert.equal(answers[1].value.baseTypeName, "google.protobuf.FieldOptions");
      // google.api.field_behavior
      assert.ok(answers[1].value.extensionNumber.includes(1052));
    });

    it("answers what it cannot find with NOT_FOUND and goes on answering", async () => {
      const answers = await ask([
        { case: "fileContainingSymbol", value: "sherpa.v1.NoSuchThing" },
        { case: "fileByFilename", value: "sherpa/v1/missing.proto" },
        {
          case: "fileContainingExtension",
          value: { containingType: "google.protobuf.MethodOptions", extensionNumber: 1 },
        },
        { case: "allExtensionNumbersOfType", value: "sherpa.v1.NoSuchMessage" },
        { case: "fileContainingSymbol", value: "sherpa.v1.TaskService" },
      ]);
      assert.equal(answers.length, 5);
      assertNotFound(answers[0], "sherpa.v1.NoSuchThing");
      assertNotFound(answers[1], "sherpa/v1/missing.proto");
      assertNotFound(answers[2], "google.protobuf.MethodOptions");
      assertNotFound(answers[3], "sherpa.v1.NoSuchMessage");
      assert.equal(decodeFiles(answers[4])[0]?.name, "sherpa/v1/task.proto");
    });

    it("answers a request without a query with INVALID_ARGUMENT", async () => {
      const [answer] = await ask([{ case: undefined }]);
      assert.equal(answer?.case, "errorResponse");
      assert.equal(answer.value.errorCode, Code.InvalidArgument);
    });

    it("returns files a client can rebuild the schema from", async () => {
      const [answer] = await ask([
        { case: "fileContainingSymbol", value: "sherpa.v1.TaskService" },
      ]);
      const [requested, ...imports] = decodeFiles(answer);
      assert.ok(requested);
      // Imports come each after its own imports, so the requested file goes last.
      const registry = createFileRegistry(
        create(FileDescriptorSetSchema, { file: [...imports, requested] }),
      );
      const service = registry.getService("sherpa.v1.TaskService");
      assert.deepEqual(
        service?.methods.map((method) => method.name),
        TaskService.methods.map((method) => method.name),
      );
      const createTime = registry.getMessage("sherpa.v1.Task")?.field.createTime;
      assert.equal(createTime?.message?.typeName, "google.protobuf.Timestamp");
    });
  });
}

describe("createReflectionServices", () => {
  it("refuses to list a service no given file declares", () => {
    assert.throws(
      () => createReflectionServices([TaskService.file], ["sherpa.v1.QueueService"]),
      /"sherpa\.v1\.QueueService"/,
    );
  });

  it("accepts a registry instead of files", async () => {
    const registry = createFileRegistry(
      create(FileDescriptorSetSchema, {
        file: listWithDependencies([TaskService.file]).map((file) => file.proto),
      }),
    );
    const services = createReflectionServices(registry, [TaskService.typeName]);
    const client = createClient(
      ServerReflectionV1,
      createRouterTransport(({ service }) => {
        service(ServerReflectionV1, services.v1);
      }),
    );
    const responses = client.serverReflectionInfo(requests([{ case: "listServices", value: "" }]));
    const names: string[] = [];
    for await (const { messageResponse } of responses) {
      assert.equal(messageResponse.case, "listServicesResponse");
      names.push(...messageResponse.value.service.map((service) => service.name));
    }
    assert.deepEqual(names, [TaskService.typeName]);
  });
});
