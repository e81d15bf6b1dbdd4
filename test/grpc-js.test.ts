import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { loadSync, type MethodDefinition, type ServiceDefinition } from "@grpc/proto-loader";
import { pollUntil } from "@sherpa/kit/testing";
import { NodeState, TaskState } from "@sherpa/proto";
import { createSherpaClient, type SherpaClient } from "@sherpa/sdk";
import { protoDir, protoVendorDir } from "./support/repo-paths.js";
import { type StartedServer, startServer } from "./support/start-server.js";
import { waitForTaskEnd } from "./support/wait-for-task.js";

/** The fields of sherpa.v1.Task this test reads, as proto-loader decodes them. */
interface TaskObject {
  id: string;
  queue: string;
  state: string;
  argv: string[];
}

/** sherpa.v1.StreamTaskLogsResponse as proto-loader decodes it; int64 stays a Long. */
interface LogsObject {
  lines: { offset: { toString(): string }; stream: string; text: string }[];
}

/** sherpa.v1.WatchTasksResponse as proto-loader decodes it. */
interface WatchObject {
  task: TaskObject;
  current: boolean;
}

// Loaded from the .proto source, not the generated code, so that grpc-js is a
// peer implementation that shares nothing with the server but the schema.
const taskService = loadSync("sherpa/v1/task.proto", {
  includeDirs: [protoDir, protoVendorDir],
  enums: String,
  defaults: true,
})["sherpa.v1.TaskService"] as ServiceDefinition;

function method(name: string): MethodDefinition<object, object> {
  const definition = taskService[name];
  assert.ok(definition, `TaskService has no method ${name}`);
  return definition;
}

/** Metadata carrying the server's admin token, which every call needs. */
function adminMetadata(server: StartedServer): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${server.adminToken}`);
  return metadata;
}

function callUnary<Response>(
  client: grpc.Client,
  name: string,
  request: object,
  metadata: grpc.Metadata,
) {
  const { path, requestSerialize, responseDeserialize } = method(name);
  return new Promise<Response>((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      requestSerialize,
      responseDeserialize,
      request,
      metadata,
      (error, response) => {
        if (error) {
          reject(error);
        } else {
          resolve(response as Response);
        }
      },
    );
  });
}

/** Starts a server-streaming call; its 15 s deadline turns a stream that never ends into a failure. */
function callServerStream<Response>(
  client: grpc.Client,
  name: string,
  request: object,
  metadata: grpc.Metadata,
): grpc.ClientReadableStream<Response> {
  const { path, requestSerialize, responseDeserialize } = method(name);
  return client.makeServerStreamRequest(
    path,
    requestSerialize,
    responseDeserialize,
    request,
    metadata,
    {
      deadline: Date.now() + 15_000,
    },
  ) as grpc.ClientReadableStream<Response>;
}

describe("@grpc/grpc-js over h2c on the shared port", () => {
  let server: StartedServer;
  let client: grpc.Client;
  let taskId: string;

  before(async () => {
    server = await startServer();
    client = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    const sdk = createSherpaClient({
      baseUrl: server.baseUrl,
      token: server.adminToken,
      timeoutMs: 5000,
    });
    const { task } = await sdk.tasks.submitTask({ argv: ["python", "train.py"] });
    taskId = task?.id ?? "";
  });
  after(async () => {
    client?.close();
    await server?.stop();
  });

  test("GetTask returns the task submitted with the SDK", async () => {
    const { task } = await callUnary<{ task: TaskObject }>(
      client,
      "GetTask",
      { id: taskId },
      adminMetadata(server),
    );
    assert.equal(task.id, taskId);
    assert.equal(task.queue, "default");
    assert.equal(task.state, "TASK_STATE_PENDING");
    assert.deepEqual(task.argv, ["python", "train.py"]);
  });

  test("ListTasks includes the task submitted with the SDK", async () => {
    const { tasks } = await callUnary<{ tasks: TaskObject[] }>(
      client,
      "ListTasks",
      { pageSize: 10 },
      adminMetadata(server),
    );
    assert.deepEqual(
      tasks.map((task) => [task.id, task.state]),
      [[taskId, "TASK_STATE_PENDING"]],
    );
  });

  test("an unknown task id gives status NOT_FOUND", async () => {
    const call = callUnary(client, "GetTask", { id: "no-such-task" }, adminMetadata(server));
    await assert.rejects(call, (error) => {
      const status = error as grpc.ServiceError;
      assert.equal(status.code, grpc.status.NOT_FOUND, String(error));
      assert.match(status.details, /no-such-task/);
      return true;
    });
  });
});

describe("@grpc/grpc-js consuming server streams of a running task", () => {
  let server: StartedServer;
  let client: grpc.Client;
  let sdk: SherpaClient;

  before(async () => {
    server = await startServer({ env: { SHERPA_EMBEDDED_AGENT: "true" } });
    client = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    sdk = createSherpaClient({
      baseUrl: server.baseUrl,
      token: server.adminToken,
      timeoutMs: 5000,
    });
    await pollUntil(
      () => sdk.nodes.listNodes({}),
      ({ nodes }) => nodes.some((node) => node.state === NodeState.READY),
      { what: "the embedded agent's node to be READY" },
    );
  });
  after(async () => {
    client?.close();
    await server?.stop();
  });

  test("StreamTaskLogs with follow gives 'data' while the task prints, then 'end' and status OK", async () => {
    // 0.3 s between lines, so that the first one arrives well before the task ends.
    const { task: submitted } = await sdk.tasks.submitTask({
      argv: ["sh", "-c", "for i in 1 2 3; do echo line $i; sleep 0.3; done"],
    });
    assert.ok(submitted);

    const call = callServerStream<LogsObject>(
      client,
      "StreamTaskLogs",
      { id: submitted.id, follow: true },
      adminMetadata(server),
    );
    const events: string[] = [];
    let firstLineAt = Number.POSITIVE_INFINITY;
    call.on("data", ({ lines }: LogsObject) => {
      firstLineAt = Math.min(firstLineAt, Date.now());
      events.push(...lines.map((line) => `${line.offset} ${line.stream} ${line.text}`));
    });
    call.once("end", () => events.push("end"));
    // grpc-js emits 'status' and 'end' in either order; an 'error' rejects both.
    const [, [status]] = await Promise.all([once(call, "end"), once(call, "status")]);

    assert.equal((status as grpc.StatusObject).code, grpc.status.OK);
    assert.deepEqual(events, [
      "0 LOG_STREAM_STDOUT line 1",
      "1 LOG_STREAM_STDOUT line 2",
      "2 LOG_STREAM_STDOUT line 3",
      "end",
    ]);
    const task = await waitForTaskEnd(sdk, submitted.id);
    assert.equal(task.state, TaskState.SUCCEEDED, task.stateReason);
    assert.ok(task.endTime);
    const endedAt = timestampMs(task.endTime);
    assert.ok(
      firstLineAt < endedAt,
      `the first line came ${firstLineAt - endedAt} ms after the end`,
    );
  });

  test("WatchTasks cancelled by the client ends with CANCELLED, logged by the server as Canceled", async () => {
    const { task: watched } = await sdk.tasks.submitTask({ argv: ["true"] });
    assert.ok(watched);
    const requestId = "grpc-js-watch-cancel";
    const metadata = adminMetadata(server);
    metadata.set("x-request-id", requestId);

    const call = callServerStream<WatchObject>(
      client,
      "WatchTasks",
      { taskIds: [watched.id], includeCurrent: true },
      metadata,
    );
    const [first] = (await once(call, "data")) as [WatchObject];
    assert.equal(first.task.id, watched.id);
    assert.equal(first.current, true);
    const failed = once(call, "error");
    call.cancel();

    const [error] = (await failed) as [grpc.ServiceError];
    assert.equal(error.code, grpc.status.CANCELLED, String(error));
    const line = await server.waitForLogLine((entry) => entry.requestId === requestId);
    assert.equal(line.rpc, "sherpa.v1.TaskService/WatchTasks");
    assert.equal(line.code, "Canceled");
    assert.equal(line.msg, "rpc finished");
  });
});
