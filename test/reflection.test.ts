import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type DescService, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import * as sherpaProto from "@sherpa/proto";
import { bufBin } from "./support/repo-paths.js";
import { requireTool } from "./support/require-tool.js";
import { run } from "./support/run.js";
import { type StartedServer, startServer } from "./support/start-server.js";

/** Every service of the Sherpa API, as generated from proto/sherpa/v1. */
const sherpaServices: DescService[] = Object.values(sherpaProto as Record<string, unknown>).filter(
  (value): value is DescService => (value as DescService | undefined)?.kind === "service",
);

/** Every service the server registers with reflection, sorted as `list` prints them. */
const expectedServices = [
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
  ...sherpaServices.map((service) => service.typeName),
].sort();

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

describe("schemas come from the server's reflection, not from local protos", () => {
  let server: StartedServer;

  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());
  /** `-H "authorization: Bearer <admin token>"`; grpcurl sends it to reflection too. */
  const adminHeader = () => ["-H", `authorization: Bearer ${server.adminToken}`];
  /** The same for buf curl, which sends -H headers to reflection only when told with `*`. */
  const bufAdminHeaders = () => [...adminHeader(), "--reflect-header", "*"];

  // buf curl asks reflection over the same protocol as the call itself.
  for (const protocol of ["connect", "grpc", "grpcweb"]) {
    describe(`buf curl --protocol ${protocol} without --schema`, () => {
      // From a temporary directory, so that no buf.yaml or proto file could stand in for reflection.
      const bufCurl = (args: string[]) =>
        run(
          bufBin,
          [
            "curl",
            "--protocol",
            protocol,
            "--http2-prior-knowledge",
            ...bufAdminHeaders(),
            ...args,
          ],
          { cwd: server.dataDir, timeoutMs: 30_000 },
        );

      test("--list-services lists every service", async () => {
        const result = await bufCurl(["--list-services", server.baseUrl]);
        assert.equal(result.exitCode, 0, result.stderr);
        assert.deepEqual(lines(result.stdout).sort(), expectedServices);
      });

      test("--list-methods lists every method of every Sherpa service", async () => {
        const result = await bufCurl(["--list-methods", server.baseUrl]);
        assert.equal(result.exitCode, 0, result.stderr);
        const listed = lines(result.stdout);
        for (const service of sherpaServices) {
          for (const method of service.methods) {
            const name = `${service.typeName}/${method.name}`;
            assert.ok(listed.includes(name), `${name} is not listed`);
          }
        }
        assert.ok(listed.includes("grpc.health.v1.Health/Watch"));
      });

      test("QueueService/ListQueues returns the default queue", async () => {
        const result = await bufCurl([`${server.baseUrl}/sherpa.v1.QueueService/ListQueues`]);
        assert.equal(result.exitCode, 0, result.stderr);
        const { queues } = JSON.parse(result.stdout);
        assert.ok(
          queues.some((queue: { name: string }) => queue.name === "default"),
          result.stdout,
        );
      });
    });
  }

  test("buf curl --reflect-protocol grpc-v1alpha lists every service, as older clients ask", async () => {
    const result = await run(
      bufBin,
      [
        "curl",
        "--protocol",
        "grpc",
        "--http2-prior-knowledge",
        ...bufAdminHeaders(),
        "--reflect-protocol",
        "grpc-v1alpha",
        "--list-services",
        server.baseUrl,
      ],
      { cwd: server.dataDir, timeoutMs: 30_000 },
    );
    assert.equal(result.exitCode, 0, result.stderr);
    assert.deepEqual(lines(result.stdout).sort(), expectedServices);
  });

  describe("grpcurl -plaintext", () => {
    const address = () => `127.0.0.1:${server.port}`;

    test("list prints every service", async (t) => {
      const grpcurl = await requireTool(t, "grpcurl");
      if (grpcurl === undefined) {
        return;
      }
      const result = await run(grpcurl, ["-plaintext", ...adminHeader(), address(), "list"]);
      assert.equal(result.exitCode, 0, result.stderr);
      assert.deepEqual(lines(result.stdout), expectedServices);
    });

    test("list without a credential is refused as Unauthenticated", async (t) => {
      const grpcurl = await requireTool(t, "grpcurl");
      if (grpcurl === undefined) {
        return;
      }
      const result = await run(grpcurl, ["-plaintext", address(), "list"]);
      assert.notEqual(result.exitCode, 0);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, /Unauthenticated/);
    });

    test("describe sherpa.v1.TaskService prints its methods with their messages", async (t) => {
      const grpcurl = await requireTool(t, "grpcurl");
      if (grpcurl === undefined) {
        return;
      }
      const result = await run(grpcurl, [
        "-plaintext",
        ...adminHeader(),
        address(),
        "describe",
        "sherpa.v1.TaskService",
      ]);
      assert.equal(result.exitCode, 0, result.stderr);
      assert.match(result.stdout, /^sherpa\.v1\.TaskService is a service:/);
      assert.match(
        result.stdout,
        /rpc SubmitTask \( \.sherpa\.v1\.SubmitTaskRequest \) returns \( \.sherpa\.v1\.SubmitTaskResponse \)/,
      );
      assert.match(result.stdout, /rpc GetTask \(/);
    });

    test("SubmitTask then GetTask, with request and response schemas from reflection", async (t) => {
      const grpcurl = await requireTool(t, "grpcurl");
      if (grpcurl === undefined) {
        return;
      }
      const submit = await run(grpcurl, [
        "-plaintext",
        ...adminHeader(),
        "-d",
        JSON.stringify({ argv: ["python", "train.py"], gpu_count: 2 }),
        address(),
        "sherpa.v1.TaskService/SubmitTask",
      ]);
      assert.equal(submit.exitCode, 0, submit.stderr);
      const { task: submitted } = JSON.parse(submit.stdout);
      assert.equal(submitted.state, "TASK_STATE_PENDING");

      const get = await run(grpcurl, [
        "-plaintext",
        ...adminHeader(),
        "-d",
        JSON.stringify({ id: submitted.id }),
        address(),
        "sherpa.v1.TaskService/GetTask",
      ]);
      assert.equal(get.exitCode, 0, get.stderr);
      const { task } = JSON.parse(get.stdout);
      assert.equal(task.id, submitted.id);
      assert.deepEqual(task.argv, ["python", "train.py"]);
      assert.equal(task.gpuCount, 2);
    });
    // Every type a google.rpc.Status detail can hold, as the server packs them into Any.
    const errorDetailTypes = [
      "google.rpc.Status",
      "google.rpc.BadRequest",
      "google.rpc.ErrorInfo",
      "google.rpc.RetryInfo",
      "google.rpc.DebugInfo",
      "google.rpc.QuotaFailure",
      "google.rpc.PreconditionFailure",
      "google.rpc.RequestInfo",
      "google.rpc.ResourceInfo",
      "google.rpc.Help",
      "google.rpc.LocalizedMessage",
    ];
    for (const typeName of errorDetailTypes) {
      test(`describe ${typeName} resolves the error detail type`, async (t) => {
        const grpcurl = await requireTool(t, "grpcurl");
        if (grpcurl === undefined) {
          return;
        }
        const result = await run(grpcurl, [
          "-plaintext",
          ...adminHeader(),
          address(),
          "describe",
          typeName,
        ]);
        assert.equal(result.exitCode, 0, result.stderr);
        assert.match(
          result.stdout,
          new RegExp(`^${typeName.replaceAll(".", "\\.")} is a message:`),
        );
      });
    }

    for (const filename of ["google/rpc/status.proto", "google/rpc/error_details.proto"]) {
      test(`file_by_filename ${filename} returns the file`, async (t) => {
        const grpcurl = await requireTool(t, "grpcurl");
        if (grpcurl === undefined) {
          return;
        }
        const result = await run(grpcurl, [
          "-plaintext",
          ...adminHeader(),
          "-d",
          JSON.stringify({ file_by_filename: filename }),
          address(),
          "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        ]);
        assert.equal(result.exitCode, 0, result.stderr);
        const response = JSON.parse(result.stdout);
        assert.equal(response.errorResponse, undefined, result.stdout);
        const [first] = response.fileDescriptorResponse.fileDescriptorProto as string[];
        const file = fromBinary(FileDescriptorProtoSchema, Buffer.from(first ?? "", "base64"));
        assert.equal(file.name, filename);
      });
    }

    test("an InvalidArgument's BadRequest detail is printed decoded", async (t) => {
      const grpcurl = await requireTool(t, "grpcurl");
      if (grpcurl === undefined) {
        return;
      }
      const result = await run(grpcurl, [
        "-plaintext",
        ...adminHeader(),
        "-d",
        JSON.stringify({ queue: { name: "Not A Name!" } }),
        address(),
        "sherpa.v1.QueueService/CreateQueue",
      ]);
      assert.notEqual(result.exitCode, 0);
      assert.match(result.stderr, /Code: InvalidArgument/);
      assert.doesNotMatch(result.stderr, /"@error"/);
      assert.match(result.stderr, /"@type": "type\.googleapis\.com\/google\.rpc\.BadRequest"/);
      assert.match(result.stderr, /"field": "queue\.name"/);
    });
  });

  test("no reflection stream is left in flight once the tools have exited", async () => {
    const inFlight =
      /^grpc_server_in_flight_requests\{[^}]*grpc_method="ServerReflectionInfo"\} (\d+)$/m;
    let metrics = "";
    for (const deadline = Date.now() + 2000; Date.now() < deadline; ) {
      const response = await fetch(`${server.baseUrl}/metrics`, { headers: server.adminHeaders });
      assert.equal(response.status, 200);
      metrics = await response.text();
      if (inFlight.exec(metrics)?.[1] === "0") {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail(`reflection streams still in flight:\n${inFlight.exec(metrics)?.[0]}`);
  });
});
