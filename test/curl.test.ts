import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type CurlResponse, curl } from "./support/curl.js";
import { run } from "./support/run.js";
import { type StartedServer, startServer } from "./support/start-server.js";

/** A Connect unary call with a JSON body, as a user would type it, over HTTP/1.1. */
function postJson(server: StartedServer, method: string, body: object): Promise<CurlResponse> {
  return curl([
    "--http1.1",
    "-H",
    `authorization: Bearer ${server.adminToken}`,
    "-H",
    "content-type: application/json",
    "-d",
    JSON.stringify(body),
    `${server.baseUrl}/${method}`,
  ]);
}

/** A Connect GET of a side-effect-free method, the request message in the query. */
function getJson(server: StartedServer, method: string, message: object): Promise<CurlResponse> {
  const query = new URLSearchParams({ encoding: "json", message: JSON.stringify(message) });
  return curl([
    "--http1.1",
    "-H",
    `authorization: Bearer ${server.adminToken}`,
    `${server.baseUrl}/${method}?${query}`,
  ]);
}

function parseOk(response: CurlResponse) {
  assert.equal(response.httpVersion, "1.1");
  assert.equal(response.status, 200, response.body);
  return JSON.parse(response.body);
}

describe("curl over HTTP/1.1 with the Connect protocol", () => {
  let server: StartedServer;
  let taskId: string;

  before(async () => {
    server = await startServer();
    const submitted = parseOk(
      await postJson(server, "sherpa.v1.TaskService/SubmitTask", {
        argv: ["echo", "hello from curl"],
        labels: { origin: "curl-test" },
      }),
    );
    taskId = submitted.task.id;
  });
  after(() => server.stop());

  test("SubmitTask returns a pending task in the default queue", async () => {
    const { task } = parseOk(
      await postJson(server, "sherpa.v1.TaskService/SubmitTask", { argv: ["true"] }),
    );
    assert.match(task.id, /\S/);
    assert.equal(task.state, "TASK_STATE_PENDING");
    assert.equal(task.queue, "default");
    assert.deepEqual(task.argv, ["true"]);
  });

  test("GetTask by POST sees the submitted task", async () => {
    const { task } = parseOk(
      await postJson(server, "sherpa.v1.TaskService/GetTask", { id: taskId }),
    );
    assert.equal(task.id, taskId);
    assert.equal(task.state, "TASK_STATE_PENDING");
    assert.equal(task.queue, "default");
    assert.deepEqual(task.argv, ["echo", "hello from curl"]);
  });

  test("ListTasks by POST lists the submitted task", async () => {
    const { tasks } = parseOk(
      await postJson(server, "sherpa.v1.TaskService/ListTasks", {
        labels: { origin: "curl-test" },
      }),
    );
    assert.deepEqual(
      tasks.map((task: { id: string; state: string; queue: string }) => [
        task.id,
        task.state,
        task.queue,
      ]),
      [[taskId, "TASK_STATE_PENDING", "default"]],
    );
  });

  test("GetTask by Connect GET sees the submitted task", async () => {
    const { task } = parseOk(
      await getJson(server, "sherpa.v1.TaskService/GetTask", { id: taskId }),
    );
    assert.equal(task.id, taskId);
    assert.equal(task.state, "TASK_STATE_PENDING");
  });

  test("a Connect GET of SubmitTask (not side-effect free) is 405 with Allow: POST", async () => {
    const query = new URLSearchParams({ encoding: "json", message: JSON.stringify({}) });
    const response = await run("curl", [
      "--silent",
      "--http1.1",
      "-D",
      "-",
      "-o",
      "/dev/null",
      "-H",
      `authorization: Bearer ${server.adminToken}`,
      `${server.baseUrl}/sherpa.v1.TaskService/SubmitTask?${query}`,
    ]);
    assert.match(response.stdout, /^HTTP\/1\.1 405 /, response.stdout);
    assert.match(response.stdout, /^allow: POST\r$/im, response.stdout);
  });

  test("a PUT of GetTask (side-effect free) is 405 with Allow: POST, GET", async () => {
    const response = await run("curl", [
      "--silent",
      "--http1.1",
      "-X",
      "PUT",
      "-D",
      "-",
      "-o",
      "/dev/null",
      "-H",
      `authorization: Bearer ${server.adminToken}`,
      "-H",
      "content-type: application/json",
      "-d",
      "{}",
      `${server.baseUrl}/sherpa.v1.TaskService/GetTask`,
    ]);
    assert.match(response.stdout, /^HTTP\/1\.1 405 /, response.stdout);
    assert.match(response.stdout, /^allow: POST, GET\r$/im, response.stdout);
  });

  test("ListQueues by Connect GET lists the default queue", async () => {
    const { queues } = parseOk(await getJson(server, "sherpa.v1.QueueService/ListQueues", {}));
    const defaultQueue = queues.find((queue: { name: string }) => queue.name === "default");
    assert.ok(defaultQueue, `no default queue in ${JSON.stringify(queues)}`);
    assert.deepEqual(defaultQueue.resourceGroups, ["all-nodes"]);
  });
});
