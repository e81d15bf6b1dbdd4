import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { loadSync, type MethodDefinition, type ServiceDefinition } from "@grpc/proto-loader";
import { createSherpaClient } from "@sherpa/sdk";
import { protoDir, protoVendorDir } from "./support/repo-paths.js";
import { type StartedServer, startServer } from "./support/start-server.js";

/** The fields of sherpa.v1.Task this test reads, as proto-loader decodes them. */
interface TaskObject {
  id: string;
  queue: string;
  state: string;
  argv: string[];
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

function callUnary<Response>(client: grpc.Client, name: string, request: object) {
  const { path, requestSerialize, responseDeserialize } = method(name);
  return new Promise<Response>((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      requestSerialize,
      responseDeserialize,
      request,
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

describe("@grpc/grpc-js over h2c on the shared port", () => {
  let server: StartedServer;
  let client: grpc.Client;
  let taskId: string;

  before(async () => {
    server = await startServer();
    client = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    const sdk = createSherpaClient({ baseUrl: server.baseUrl, timeoutMs: 5000 });
    const { task } = await sdk.tasks.submitTask({ argv: ["python", "train.py"] });
    taskId = task?.id ?? "";
  });
  after(async () => {
    client?.close();
    await server?.stop();
  });

  test("GetTask returns the task submitted with the SDK", async () => {
    const { task } = await callUnary<{ task: TaskObject }>(client, "GetTask", { id: taskId });
    assert.equal(task.id, taskId);
    assert.equal(task.queue, "default");
    assert.equal(task.state, "TASK_STATE_PENDING");
    assert.deepEqual(task.argv, ["python", "train.py"]);
  });

  test("ListTasks includes the task submitted with the SDK", async () => {
    const { tasks } = await callUnary<{ tasks: TaskObject[] }>(client, "ListTasks", {
      pageSize: 10,
    });
    assert.deepEqual(
      tasks.map((task) => [task.id, task.state]),
      [[taskId, "TASK_STATE_PENDING"]],
    );
  });

  test("an unknown task id gives status NOT_FOUND", async () => {
    await assert.rejects(callUnary(client, "GetTask", { id: "no-such-task" }), (error) => {
      const status = error as grpc.ServiceError;
      assert.equal(status.code, grpc.status.NOT_FOUND, String(error));
      assert.match(status.details, /no-such-task/);
      return true;
    });
  });
});
