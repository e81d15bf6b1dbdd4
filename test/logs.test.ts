import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createSherpaClient, type SherpaProtocol } from "@sherpa/sdk";
import { run } from "./support/run.js";
import { type LogLine, type StartedServer, startServer } from "./support/start-server.js";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A Connect unary POST with curl; resolves with the status, the response headers and the body. */
async function curlPost(
  server: StartedServer,
  method: string,
  body: object,
  headers: string[] = [],
) {
  const result = await run("curl", [
    "--silent",
    "--show-error",
    "--dump-header",
    "-",
    "--header",
    `authorization: Bearer ${server.adminToken}`,
    "--header",
    "content-type: application/json",
    ...headers.flatMap((header) => ["--header", header]),
    "--data",
    JSON.stringify(body),
    `${server.baseUrl}/${method}`,
  ]);
  assert.equal(result.exitCode, 0, result.stderr);
  const headerEnd = result.stdout.indexOf("\r\n\r\n");
  const [statusLine = "", ...headerLines] = result.stdout.slice(0, headerEnd).split("\r\n");
  const responseHeaders = new Map(
    headerLines.map((line) => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as const;
    }),
  );
  return {
    status: Number(statusLine.split(" ")[1]),
    headers: responseHeaders,
    body: result.stdout.slice(headerEnd + 4),
  };
}

describe("one JSON log line per RPC", () => {
  let server: StartedServer;

  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  /** The one line logged for the request id; fails if there are more. */
  async function lineOf(requestId: string): Promise<LogLine> {
    const line = await server.waitForLogLine((entry) => entry.requestId === requestId);
    const all = server.logLines().filter((entry) => entry.requestId === requestId);
    assert.equal(all.length, 1, `lines for ${requestId}: ${JSON.stringify(all)}`);
    return line;
  }

  for (const protocol of ["connect", "grpc", "grpc-web"] as const satisfies SherpaProtocol[]) {
    test(`over ${protocol}: rpc, code, durationMs, protocol, peer, requestId and userAgent`, async () => {
      const requestId = `logs-${protocol}`;
      const client = createSherpaClient({
        baseUrl: server.baseUrl,
        protocol,
        token: server.adminToken,
        timeoutMs: 5000,
        headers: { "x-request-id": requestId },
      });
      await client.queues.listQueues({});

      const line = await lineOf(requestId);
      assert.equal(line.msg, "rpc finished");
      assert.equal(line.rpc, "sherpa.v1.QueueService/ListQueues");
      assert.equal(line.code, "OK");
      assert.equal(line.protocol, protocol);
      assert.equal(line.peer, "127.0.0.1");
      assert.match(String(line.userAgent), /connect-es\//);
      assert.equal(typeof line.durationMs, "number");
      assert.ok((line.durationMs as number) >= 0 && (line.durationMs as number) < 5000);
    });
  }

  test("x-request-id: test-req-1 is logged and echoed in the response header", async () => {
    const response = await curlPost(server, "sherpa.v1.QueueService/ListQueues", {}, [
      "x-request-id: test-req-1",
    ]);
    assert.equal(response.status, 200, response.body);
    assert.equal(response.headers.get("x-request-id"), "test-req-1");
    const line = await lineOf("test-req-1");
    assert.equal(line.rpc, "sherpa.v1.QueueService/ListQueues");
    assert.match(String(line.userAgent), /^curl\//);
  });

  test("without x-request-id, a UUID is generated, logged and echoed", async () => {
    const response = await curlPost(server, "sherpa.v1.QueueService/ListQueues", {});
    assert.equal(response.status, 200, response.body);
    const requestId = response.headers.get("x-request-id") ?? "";
    assert.match(requestId, uuidPattern);
    assert.equal((await lineOf(requestId)).code, "OK");
  });

  test("an x-request-id that could forge log fields is replaced by a UUID", async () => {
    const forged = 'x", "code": "OK';
    const response = await curlPost(server, "sherpa.v1.QueueService/ListQueues", {}, [
      `x-request-id: ${forged}`,
    ]);
    const requestId = response.headers.get("x-request-id") ?? "";
    assert.match(requestId, uuidPattern);
    await lineOf(requestId);
    assert.ok(server.logLines().every((line) => line.requestId !== forged));
  });

  test("a failed call logs its code, NotFound, and still echoes the request id", async () => {
    const response = await curlPost(
      server,
      "sherpa.v1.TaskService/GetTask",
      { id: "no-such-task" },
      ["x-request-id: test-not-found"],
    );
    assert.equal(response.status, 404, response.body);
    assert.equal(response.headers.get("x-request-id"), "test-not-found");
    const line = await lineOf("test-not-found");
    assert.equal(line.rpc, "sherpa.v1.TaskService/GetTask");
    assert.equal(line.code, "NotFound");
    assert.equal(line.msg, "rpc finished");
    assert.match(String(line.errorMessage), /no-such-task/);
  });
});
