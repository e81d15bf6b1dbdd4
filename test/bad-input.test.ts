import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { type StartedServer, startServer } from "./support/start-server.js";

/** A raw Connect unary call over HTTP/1.1, so that any body and content type can be sent. */
async function post(server: StartedServer, method: string, body: string, contentType: string) {
  const response = await fetch(`${server.baseUrl}/${method}`, {
    method: "POST",
    headers: { ...server.adminHeaders, "content-type": contentType },
    body,
  });
  const text = await response.text();
  return { status: response.status, text };
}

/** Sends `request` on a fresh socket and resolves with everything read until the server closes it. */
function exchangeRaw(port: number, request: string) {
  return new Promise<string>((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.end(request));
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      received += chunk;
    });
    socket.once("end", () => resolve(received));
    socket.once("error", reject);
    socket.setTimeout(5000, () => socket.destroy(new Error("no answer within 5 s")));
  });
}

/** The Connect error body: `{"code": "invalid_argument", "message": "..."}`. */
function parseConnectError(text: string): { code: string; message: string } {
  const parsed = JSON.parse(text);
  assert.equal(typeof parsed.code, "string", text);
  return parsed;
}

interface BadRequestCase {
  name: string;
  method: string;
  body: string;
  contentType?: string;
  /** The HTTP status, as the Connect protocol maps the error code. */
  status: number;
  /** The Connect error code; unset where the answer is plain HTTP, not a Connect error. */
  code?: string;
  /** Something the error message must contain, such as the field at fault. */
  messageMatches?: RegExp;
}

const badRequests: BadRequestCase[] = [
  {
    name: "malformed JSON",
    method: "sherpa.v1.TaskService/SubmitTask",
    body: '{"argv": ["echo"',
    status: 400,
    code: "invalid_argument",
  },
  {
    name: "a field of the wrong type",
    method: "sherpa.v1.TaskService/SubmitTask",
    body: JSON.stringify({ argv: ["echo"], gpuCount: "two" }),
    status: 400,
    code: "invalid_argument",
    messageMatches: /gpu_count/,
  },
  {
    name: "SubmitTask without argv",
    method: "sherpa.v1.TaskService/SubmitTask",
    body: JSON.stringify({ name: "no command" }),
    status: 400,
    code: "invalid_argument",
    messageMatches: /\bargv\b/,
  },
  {
    name: "an unknown method",
    method: "sherpa.v1.TaskService/LaunchRocket",
    body: "{}",
    status: 404,
  },
  {
    name: "an unsupported content type",
    method: "sherpa.v1.TaskService/SubmitTask",
    body: "argv=echo",
    contentType: "application/x-www-form-urlencoded",
    status: 415,
  },
  {
    name: "a task id that does not exist",
    method: "sherpa.v1.TaskService/GetTask",
    body: JSON.stringify({ id: "no-such-task" }),
    status: 404,
    code: "not_found",
    messageMatches: /no-such-task/,
  },
  {
    name: "a page_size over the limit",
    method: "sherpa.v1.TaskService/ListTasks",
    body: JSON.stringify({ pageSize: 5000 }),
    status: 400,
    code: "invalid_argument",
    messageMatches: /page_size/,
  },
];

describe("bad input gets the right error and the server stays up", () => {
  let server: StartedServer;

  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  for (const badRequest of badRequests) {
    test(`${badRequest.name}: HTTP ${badRequest.status} ${badRequest.code ?? "(not Connect)"}`, async () => {
      const response = await post(
        server,
        badRequest.method,
        badRequest.body,
        badRequest.contentType ?? "application/json",
      );
      assert.equal(response.status, badRequest.status, response.text);
      if (badRequest.code !== undefined) {
        const error = parseConnectError(response.text);
        assert.equal(error.code, badRequest.code);
        assert.match(error.message, badRequest.messageMatches ?? /./);
      }
    });
  }

  test("an unknown method over gRPC is UNIMPLEMENTED", async () => {
    const client = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    try {
      const passBytes = (bytes: Buffer) => bytes;
      const metadata = new grpc.Metadata();
      metadata.set("authorization", server.adminHeaders.authorization as string);
      const call = new Promise((resolve, reject) => {
        client.makeUnaryRequest(
          "/sherpa.v1.TaskService/LaunchRocket",
          passBytes,
          passBytes,
          Buffer.alloc(0),
          metadata,
          (error, response) => (error ? reject(error) : resolve(response)),
        );
      });
      await assert.rejects(call, (error) => {
        assert.equal((error as grpc.ServiceError).code, grpc.status.UNIMPLEMENTED, String(error));
        return true;
      });
    } finally {
      client.close();
    }
  });

  test("cancelling a task twice: the first succeeds, the second is failed_precondition", async () => {
    const submitted = await post(
      server,
      "sherpa.v1.TaskService/SubmitTask",
      JSON.stringify({ argv: ["sleep", "600"] }),
      "application/json",
    );
    assert.equal(submitted.status, 200, submitted.text);
    const cancelRequest = JSON.stringify({ id: JSON.parse(submitted.text).task.id });

    const first = await post(
      server,
      "sherpa.v1.TaskService/CancelTask",
      cancelRequest,
      "application/json",
    );
    assert.equal(first.status, 200, first.text);
    assert.equal(JSON.parse(first.text).task.state, "TASK_STATE_CANCELLED");

    const second = await post(
      server,
      "sherpa.v1.TaskService/CancelTask",
      cancelRequest,
      "application/json",
    );
    assert.equal(second.status, 400, second.text);
    const error = parseConnectError(second.text);
    assert.equal(error.code, "failed_precondition");
    assert.match(error.message, /CANCELLED/);
  });

  // Node requires Host of HTTP/1.1 requests only; connect-node cannot build a URL without one.
  for (const { name, hostLine } of [
    { name: "no Host header", hostLine: "" },
    { name: "a Host header that is no authority", hostLine: "Host: not a host\r\n" },
  ]) {
    test(`an HTTP/1.0 request with ${name} gets 400 invalid_argument, logged as one JSON line`, async () => {
      const body = "{}";
      const requestId = `no-host-${hostLine.length}`;
      const response = await exchangeRaw(
        server.port,
        "POST /sherpa.v1.QueueService/ListQueues HTTP/1.0\r\n" +
          hostLine +
          `Authorization: ${server.adminHeaders.authorization}\r\n` +
          `X-Request-Id: ${requestId}\r\n` +
          "Content-Type: application/json\r\n" +
          `Content-Length: ${body.length}\r\n\r\n${body}`,
      );
      const [head = "", responseBody = ""] = response.split("\r\n\r\n");
      assert.match(head, /^HTTP\/1\.1 400 /, response);
      const error = parseConnectError(responseBody);
      assert.equal(error.code, "invalid_argument");
      assert.match(error.message, /Host header/);
      const line = await server.waitForLogLine((entry) => entry.requestId === requestId);
      assert.equal(line.level, 40);
      assert.match(String(line.msg), /Host header/);
      assert.doesNotMatch(server.stderr(), /request authority/);
    });
  }

  test("after all of the above, a good call still succeeds", async () => {
    const response = await post(
      server,
      "sherpa.v1.QueueService/ListQueues",
      "{}",
      "application/json",
    );
    assert.equal(response.status, 200, response.text);
    assert.ok(
      JSON.parse(response.text).queues.some((queue: { name: string }) => queue.name === "default"),
    );
  });
});
