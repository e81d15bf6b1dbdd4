import assert from "node:assert/strict";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { rejectsWithCode } from "@sherpa/kit/testing";
import { Health } from "@sherpa/proto/grpc/health/v1/health_pb.js";
import { Code, createSherpaClient, type SherpaProtocol } from "@sherpa/sdk";
import { parseMetrics, sampleValue } from "./support/metrics-text.js";
import { type StartedServer, startServer } from "./support/start-server.js";

const maxMessageBytes = 1024;
const maxDeadlineMs = 1000;
const headersTimeoutMs = 1000;
const maxConcurrentStreams = 7;
/** Far more than socket buffers and HTTP/2 windows hold, so the client is still sending when answered. */
const largeMessageBytes = 2 * 1024 * 1024;
/** Every call of this file asks for less than the deadline cap. */
const callTimeoutMs = 900;
/**
 * By when a connection must have been cut off for its headers: the server looks
 * for timed-out connections every half timeout, so within 1.5 times it; the
 * rest is slack for a busy machine.
 */
const cutOffWithinMs = 3 * headersTimeoutMs;
/** The deadline of the Health Watches that are to end with DeadlineExceeded. */
const watchTimeoutMs = 300;

const protocols: readonly SherpaProtocol[] = ["connect", "grpc"];

/** Resolves with how long after `since` the socket closed, or undefined if it was still open at `deadline`. */
function closedWithin(socket: net.Socket, since: number, deadlineMs: number) {
  return new Promise<number | undefined>((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, deadlineMs);
    socket.on("error", () => {
      // A reset while writing is one way of being cut off.
    });
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(Date.now() - since);
    });
  });
}

/** Resolves with the status, body and connection reuse of a Connect JSON POST over HTTP/1.1. */
function postJson(agent: http.Agent, path: string, body: string) {
  return new Promise<{ status: number; body: string; reusedSocket: boolean }>((resolve, reject) => {
    const request = http.request(
      `${serverBaseUrl()}${path}`,
      {
        method: "POST",
        agent,
        headers: { ...server.adminHeaders, "content-type": "application/json" },
        timeout: 5 * callTimeoutMs,
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
        });
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            body: text,
            reusedSocket: request.reusedSocket,
          }),
        );
      },
    );
    request.on("timeout", () =>
      request.destroy(new Error(`${path}: nothing received for ${5 * callTimeoutMs} ms`)),
    );
    request.on("error", reject);
    request.end(body);
  });
}

let server: StartedServer;
const serverBaseUrl = () => server.baseUrl;

describe("limits", () => {
  before(async () => {
    server = await startServer({
      env: {
        SHERPA_MAX_MESSAGE_BYTES: String(maxMessageBytes),
        SHERPA_MAX_DEADLINE_MS: String(maxDeadlineMs),
        SHERPA_HEADERS_TIMEOUT_MS: String(headersTimeoutMs),
        SHERPA_MAX_CONCURRENT_STREAMS: String(maxConcurrentStreams),
      },
    });
  });
  after(() => server.stop());

  const clientFor = (protocol: SherpaProtocol) =>
    createSherpaClient({
      baseUrl: server.baseUrl,
      protocol,
      token: server.adminToken,
      timeoutMs: callTimeoutMs,
    });

  for (const protocol of protocols) {
    test(`over ${protocol}: a message over SHERPA_MAX_MESSAGE_BYTES is ResourceExhausted; the server stays up`, async () => {
      const client = clientFor(protocol);
      await rejectsWithCode(
        client.tasks.submitTask({ argv: ["x".repeat(4 * maxMessageBytes)] }),
        Code.ResourceExhausted,
      );
      const { task } = await client.tasks.submitTask({ argv: ["small", "enough"] });
      assert.ok(task?.id);
    });

    test(`over ${protocol}: a deadline over SHERPA_MAX_DEADLINE_MS is InvalidArgument`, async () => {
      const client = clientFor(protocol);
      await rejectsWithCode(
        client.queues.listQueues({}, { timeoutMs: 5000 }),
        Code.InvalidArgument,
      );
      await client.queues.listQueues({}, { timeoutMs: maxDeadlineMs - 100 });
    });
  }

  test("over grpc: a 2 MiB message over the limit is answered while the client is still sending it", async () => {
    const client = clientFor("grpc");
    await rejectsWithCode(
      client.tasks.submitTask({ argv: ["x".repeat(largeMessageBytes)] }),
      Code.ResourceExhausted,
    );
  });

  test("over HTTP/1.1: a 2 MiB message over the limit is answered and the connection serves the next call", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const body = JSON.stringify({ argv: ["x".repeat(largeMessageBytes)] });
      const rejected = await postJson(agent, "/sherpa.v1.TaskService/SubmitTask", body);
      assert.equal(rejected.status, 429);
      assert.equal(JSON.parse(rejected.body).code, "resource_exhausted");
      const next = await postJson(agent, "/sherpa.v1.QueueService/ListQueues", "{}");
      assert.equal(next.status, 200, next.body);
      assert.equal(next.reusedSocket, true, "the next call should reuse the kept-alive connection");
    } finally {
      agent.destroy();
    }
  });

  test("calls rejected for their size or deadline are logged and counted like any other", async () => {
    // connect-es rejects these while it reads the request, before any interceptor runs.
    for (const protocol of protocols) {
      await rejectsWithCode(
        clientFor(protocol).tasks.getTask(
          { id: "x".repeat(4 * maxMessageBytes) },
          { headers: { "x-request-id": `too-large-${protocol}` } },
        ),
        Code.ResourceExhausted,
      );
      await rejectsWithCode(
        clientFor(protocol).tasks.getTask(
          { id: "any" },
          { timeoutMs: 5000, headers: { "x-request-id": `deadline-over-cap-${protocol}` } },
        ),
        Code.InvalidArgument,
      );
    }
    const lines = server.logLines().filter((line) => line.rpc === "sherpa.v1.TaskService/GetTask");
    assert.deepEqual(
      lines.map((line) => [line.requestId, line.code, line.protocol]),
      protocols.flatMap((protocol) => [
        [`too-large-${protocol}`, "ResourceExhausted", protocol],
        [`deadline-over-cap-${protocol}`, "InvalidArgument", protocol],
      ]),
    );
    const samples = parseMetrics(
      await (await fetch(`${server.baseUrl}/metrics`, { headers: server.adminHeaders })).text(),
    );
    for (const grpcCode of ["ResourceExhausted", "InvalidArgument"]) {
      const handled = sampleValue(samples, "grpc_server_handled_total", {
        grpc_method: "GetTask",
        grpc_code: grpcCode,
      });
      assert.equal(handled, protocols.length, grpcCode);
    }
    const started = sampleValue(samples, "grpc_server_started_total", { grpc_method: "GetTask" });
    assert.equal(started, 2 * protocols.length);
  });

  test(`a Health Watch over gRPC with timeoutMs ${watchTimeoutMs} ends with DeadlineExceeded`, async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: server.baseUrl }));
    const startedAt = Date.now();
    await rejectsWithCode(
      (async () => {
        for await (const _ of health.watch({ service: "" }, { timeoutMs: watchTimeoutMs })) {
          // The stream only sends SERVING, then waits for a change that never comes.
        }
      })(),
      Code.DeadlineExceeded,
    );
    const endedAfterMs = Date.now() - startedAt;
    assert.ok(endedAfterMs < 5 * watchTimeoutMs, `ended after ${endedAfterMs} ms`);
  });

  test("the server itself ends a Watch at its grpc-timeout with grpc-status 4 (DEADLINE_EXCEEDED)", async () => {
    // A raw HTTP/2 client with no deadline of its own, so that only the server can end the call.
    const session = http2.connect(server.baseUrl);
    try {
      const stream = session.request({
        ":method": "POST",
        ":path": "/grpc.health.v1.Health/Watch",
        "content-type": "application/grpc",
        te: "trailers",
        "grpc-timeout": `${watchTimeoutMs}m`,
        "x-request-id": "raw-watch-deadline",
      });
      // An empty HealthCheckRequest: not compressed, zero bytes long.
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
      stream.resume();
      const trailers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        stream.once("trailers", resolve);
        stream.once("error", reject);
        const waitMs = 10 * watchTimeoutMs;
        setTimeout(() => reject(new Error(`no trailers within ${waitMs} ms`)), waitMs).unref();
      });
      assert.equal(trailers["grpc-status"], "4");
      const line = await server.waitForLogLine((entry) => entry.requestId === "raw-watch-deadline");
      assert.equal(line.code, "DeadlineExceeded");
    } finally {
      session.close();
    }
  });

  test("an HTTP/1.1 client trickling its headers is cut off after SHERPA_HEADERS_TIMEOUT_MS", async () => {
    const socket = net.connect(server.port, "127.0.0.1");
    const startedAt = Date.now();
    const closed = closedWithin(socket, startedAt, cutOffWithinMs);
    socket.write("POST /sherpa.v1.QueueService/ListQueues HTTP/1.1\r\n");
    const header = `x-slow: ${"a".repeat(100)}`;
    let sent = 0;
    const trickle = setInterval(() => {
      if (!socket.destroyed) {
        socket.write(header.charAt(sent++ % header.length));
      }
    }, 200);
    const closedAfterMs = await closed;
    clearInterval(trickle);
    assert.ok(closedAfterMs !== undefined, `still open ${cutOffWithinMs} ms after connecting`);
    assert.ok(closedAfterMs >= headersTimeoutMs - 100, `cut off after only ${closedAfterMs} ms`);
  });

  test("a connection that sends nothing is closed after SHERPA_HEADERS_TIMEOUT_MS", async () => {
    const socket = net.connect(server.port, "127.0.0.1");
    const startedAt = Date.now();
    const closedAfterMs = await closedWithin(socket, startedAt, cutOffWithinMs);
    assert.ok(closedAfterMs !== undefined, `still open ${cutOffWithinMs} ms after connecting`);
    assert.ok(closedAfterMs >= headersTimeoutMs - 100, `closed after only ${closedAfterMs} ms`);
  });

  test("HTTP/2 advertises SHERPA_MAX_CONCURRENT_STREAMS in its SETTINGS", async () => {
    const session = http2.connect(server.baseUrl);
    try {
      const settings = await new Promise<http2.Settings>((resolve, reject) => {
        session.once("remoteSettings", resolve);
        session.once("error", reject);
      });
      assert.equal(settings.maxConcurrentStreams, maxConcurrentStreams);
    } finally {
      session.close();
    }
  });
});
