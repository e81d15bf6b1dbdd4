import assert from "node:assert/strict";
import http2 from "node:http2";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, createSherpaClient, type SherpaProtocol } from "@sherpa/sdk";
import WebSocket from "ws";
import { requireTool } from "./support/require-tool.js";
import { run } from "./support/run.js";
import { type LogLine, type StartedServer, startServer } from "./support/start-server.js";

/** An empty protobuf message in a gRPC (or gRPC-Web) frame: not compressed, zero bytes long. */
const emptyGrpcFrame = Buffer.alloc(5);

/** `message` as JSON in one Connect streaming envelope, for curl's --data-binary @file. */
function connectEnvelope(message: object): Buffer {
  const json = Buffer.from(JSON.stringify(message));
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(json.length, 1);
  return Buffer.concat([prefix, json]);
}

/** The log line of the call with this request id, once the server has written it. */
function callLine(server: StartedServer, requestId: string): Promise<LogLine> {
  return server.waitForLogLine((line) => line.requestId === requestId && line.rpc !== undefined);
}

/** The lines logged at error level (50) or above since `since` lines had been logged. */
function errorLinesSince(server: StartedServer, since: number): LogLine[] {
  return server
    .logLines()
    .slice(since)
    .filter((line) => Number(line.level) >= 50);
}

describe("server streams end with the code the server logs", () => {
  let server: StartedServer;
  /** `-H` arguments of curl: the admin credential. */
  let credential: string[];

  before(async () => {
    server = await startServer();
    credential = ["-H", `authorization: ${server.adminHeaders.authorization}`];
  });
  after(() => server.stop());

  /** Runs curl with `body` on its standard input, printing headers, body and trailers. */
  async function curlStream(args: readonly string[], body: Buffer) {
    // run() writes its input as UTF-8, which keeps bytes below 0x80 as they are.
    assert.ok(
      body.every((byte) => byte < 0x80),
      "the body must be ASCII bytes",
    );
    const result = await run(
      "curl",
      [
        "--silent",
        "--show-error",
        "--no-buffer",
        "-D",
        "-",
        "-o",
        "-",
        "--data-binary",
        "@-",
      ].concat(credential, args),
      { input: body.toString("latin1") },
    );
    assert.equal(result.exitCode, 0, result.stderr);
    return result.stdout;
  }

  test("WatchTasks over gRPC (curl, h2c) with grpc-timeout 500m ends with grpc-status 4", async () => {
    const output = await curlStream(
      [
        "--http2-prior-knowledge",
        "-H",
        "content-type: application/grpc",
        "-H",
        "te: trailers",
        "-H",
        "grpc-timeout: 500m",
        "-H",
        "x-request-id: grpc-watch-deadline",
        `${server.baseUrl}/sherpa.v1.TaskService/WatchTasks`,
      ],
      emptyGrpcFrame,
    );
    assert.match(output, /^grpc-status: 4\r?$/m, output);
    assert.equal((await callLine(server, "grpc-watch-deadline")).code, "DeadlineExceeded");
  });

  test("WatchTasks over gRPC-Web (curl, h2c) with grpc-timeout 500m ends with grpc-status 4", async () => {
    const output = await curlStream(
      [
        "--http2-prior-knowledge",
        "-H",
        "content-type: application/grpc-web+proto",
        "-H",
        "grpc-timeout: 500m",
        "-H",
        "x-request-id: grpc-web-watch-deadline",
        `${server.baseUrl}/sherpa.v1.TaskService/WatchTasks`,
      ],
      emptyGrpcFrame,
    );
    // The status is in the trailer frame at the end of the body.
    assert.match(output, /grpc-status: ?4\r?$/m, output);
    assert.equal((await callLine(server, "grpc-web-watch-deadline")).code, "DeadlineExceeded");
  });

  test("WatchTasks over Connect (curl, HTTP/1.1) with connect-timeout-ms 500 ends with deadline_exceeded", async () => {
    const output = await curlStream(
      [
        "-H",
        "content-type: application/connect+json",
        "-H",
        "connect-timeout-ms: 500",
        "-H",
        "x-request-id: connect-watch-deadline",
        `${server.baseUrl}/sherpa.v1.TaskService/WatchTasks`,
      ],
      connectEnvelope({}),
    );
    assert.match(output, /\{"error":\{"code":"deadline_exceeded"/, output);
    assert.equal((await callLine(server, "connect-watch-deadline")).code, "DeadlineExceeded");
  });

  test("StreamTaskLogs following a task over Connect JSON ends with deadline_exceeded at connect-timeout-ms", async () => {
    const submitted = await fetch(`${server.baseUrl}/sherpa.v1.TaskService/SubmitTask`, {
      method: "POST",
      headers: { ...server.adminHeaders, "content-type": "application/json" },
      body: JSON.stringify({ argv: ["echo", "never runs: no agent"] }),
    });
    const { task } = (await submitted.json()) as { task: { id: string } };
    const output = await curlStream(
      [
        "-H",
        "content-type: application/connect+json",
        "-H",
        "connect-timeout-ms: 1000",
        "-H",
        "x-request-id: connect-follow-deadline",
        `${server.baseUrl}/sherpa.v1.TaskService/StreamTaskLogs`,
      ],
      connectEnvelope({ id: task.id, follow: true }),
    );
    assert.match(output, /\{"error":\{"code":"deadline_exceeded"/, output);
    assert.doesNotMatch(output, /\{\}$/, "the end of the stream is an error, not a plain {}");
    assert.equal((await callLine(server, "connect-follow-deadline")).code, "DeadlineExceeded");
  });

  test("a grpcurl that gives up at -max-time 1 is logged as Canceled or DeadlineExceeded, with no error line", async (t) => {
    const grpcurl = await requireTool(t, "grpcurl");
    if (grpcurl === undefined) {
      return;
    }
    const since = server.logLines().length;
    const result = await run(grpcurl, [
      "-plaintext",
      "-H",
      `authorization: ${server.adminHeaders.authorization}`,
      "-rpc-header",
      "x-request-id: grpcurl-max-time",
      "-max-time",
      "1",
      "-d",
      "{}",
      `127.0.0.1:${server.port}`,
      "sherpa.v1.TaskService/WatchTasks",
    ]);
    // grpcurl exits 68 (64 + DeadlineExceeded) when its own deadline ends the call.
    assert.equal(result.exitCode, 68, result.stderr);
    const line = await callLine(server, "grpcurl-max-time");
    assert.ok(["Canceled", "DeadlineExceeded"].includes(String(line.code)), JSON.stringify(line));
    assert.equal(line.level, 30);
    // The reflection stream grpcurl opened ends with the call; give its lines time to come.
    await sleep(500);
    assert.deepEqual(errorLinesSince(server, since), []);
  });

  const resets = [
    { how: "its connection reset", code: undefined },
    { how: "RST_STREAM INTERNAL_ERROR", code: http2.constants.NGHTTP2_INTERNAL_ERROR },
    { how: "RST_STREAM PROTOCOL_ERROR", code: http2.constants.NGHTTP2_PROTOCOL_ERROR },
  ];
  for (const [index, { how, code }] of resets.entries()) {
    test(`a client that leaves mid-stream with ${how} is logged as Canceled, not Internal`, async () => {
      const since = server.logLines().length;
      const requestId = `client-reset-${index}`;
      let socket: net.Socket | undefined;
      const session = http2.connect(server.baseUrl, {
        createConnection: () => {
          socket = net.connect(server.port, "127.0.0.1");
          return socket;
        },
      });
      session.on("error", () => {
        // The reset below is the point of the test.
      });
      const stream = session.request({
        ":method": "POST",
        ":path": "/sherpa.v1.TaskService/WatchTasks",
        "content-type": "application/grpc",
        te: "trailers",
        authorization: server.adminHeaders.authorization as string,
        "x-request-id": requestId,
      });
      stream.on("error", () => {
        // As above.
      });
      stream.end(Buffer.alloc(5));
      // The call has started once its headers are back; a watch sends nothing until an event.
      await new Promise((resolve) => stream.once("response", resolve));
      if (code === undefined) {
        socket?.resetAndDestroy();
      } else {
        stream.close(code);
      }
      const line = await callLine(server, requestId);
      session.destroy();
      assert.equal(line.code, "Canceled", JSON.stringify(line));
      assert.equal(line.level, 30);
      assert.deepEqual(errorLinesSince(server, since), []);
    });
  }

  test("a Connect WatchTasks over HTTP/1.1 (raw socket) gets its status line and headers before any event, then the next change", async () => {
    const socket = net.connect(server.port, "127.0.0.1");
    socket.setEncoding("latin1");
    let received = "";
    const receivedMatching = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(received)) {
            socket.off("data", onData);
            clearTimeout(timer);
            resolve();
          }
        };
        const onData = (chunk: string) => {
          received += chunk;
          check();
        };
        const timer = setTimeout(() => {
          socket.off("data", onData);
          reject(new Error(`not received within 2 s: ${pattern}; got ${JSON.stringify(received)}`));
        }, 2000);
        socket.on("data", onData);
        check();
      });
    try {
      const body = connectEnvelope({});
      socket.write(
        "POST /sherpa.v1.TaskService/WatchTasks HTTP/1.1\r\n" +
          `Host: 127.0.0.1:${server.port}\r\n` +
          `Authorization: ${server.adminHeaders.authorization}\r\n` +
          "Content-Type: application/connect+json\r\n" +
          `Content-Length: ${body.length}\r\n\r\n`,
      );
      socket.write(body);
      // No task exists and none changes: only the headers can come.
      await receivedMatching(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n/);
      assert.match(received, /^content-type: application\/connect\+json\r$/im);
      // A client that has the headers may count on the watch seeing its next change.
      const submitted = await fetch(`${server.baseUrl}/sherpa.v1.TaskService/SubmitTask`, {
        method: "POST",
        headers: { ...server.adminHeaders, "content-type": "application/json" },
        body: JSON.stringify({ argv: ["echo", "watched"] }),
      });
      const { task } = (await submitted.json()) as { task: { id: string } };
      await receivedMatching(new RegExp(task.id));
    } finally {
      socket.destroy();
    }
  });

  for (const [protocol, httpVersion] of [
    ["connect", "1.1"],
    ["connect", "2"],
    ["grpc", "2"],
    ["grpc-web", "1.1"],
  ] as const) {
    test(`an SDK client (${protocol}, HTTP/${httpVersion}) that breaks out of WatchTasks ends the call on the server at once`, async () => {
      const client = createSherpaClient({
        baseUrl: server.baseUrl,
        protocol,
        httpVersion,
        token: server.adminToken,
        timeoutMs: 0,
      });
      await client.tasks.submitTask({ argv: ["echo", "seen by the watch"] });
      const requestId = `break-${protocol}-${httpVersion}`;
      for await (const event of client.tasks.watchTasks(
        { includeCurrent: true },
        { headers: { "x-request-id": requestId } },
      )) {
        assert.equal(event.current, true);
        break;
      }
      const line = await server.waitForLogLine((entry) => entry.requestId === requestId, 2000);
      assert.equal(line.code, "Canceled", JSON.stringify(line));
    });
  }

  test("a WebSocket client sending a garbage frame gets 1002 and one warning line without a stack", async () => {
    const since = server.logLines().length;
    const socket = new WebSocket(`${server.baseUrl.replace(/^http/, "ws")}/v1/events`, {
      headers: { ...server.adminHeaders, "x-request-id": "garbage-frame" },
    });
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    const closed = new Promise<number>((resolve) => socket.once("close", resolve));
    socket.on("error", () => {
      // The server's close frame for the garbage may reach ws as an error.
    });
    // A masked frame with opcode 5, which RFC 6455 reserves: a protocol error.
    (socket as unknown as { _socket: net.Socket })._socket.write(
      Buffer.from([0x85, 0x80, 1, 2, 3, 4]),
    );
    assert.equal(await closed, 1002);
    const line = await server.waitForLogLine(
      (entry) => entry.reqId === "garbage-frame" && entry.code === "WS_ERR_INVALID_OPCODE",
    );
    assert.equal(line.level, 40);
    assert.equal(line.err, undefined, "no error object, so no stack");
    await sleep(200);
    const linesOfSocket = server
      .logLines()
      .slice(since)
      .filter((entry) => entry.reqId === "garbage-frame");
    assert.equal(linesOfSocket.length, 1, JSON.stringify(linesOfSocket));
    assert.deepEqual(errorLinesSince(server, since), []);
  });
});

describe("server streams open when the shutdown grace runs out", () => {
  test("WatchTasks and StreamTaskLogs with follow end with Unavailable over Connect, gRPC and gRPC-Web", async (t) => {
    const server = await startServer({ env: { SHERPA_SHUTDOWN_GRACE_MS: "1500" } });
    t.after(() => server.stop());
    const clientOver = (protocol: SherpaProtocol) =>
      createSherpaClient({ baseUrl: server.baseUrl, protocol, token: server.adminToken });
    const { task } = await clientOver("connect").tasks.submitTask({ argv: ["echo", "no agent"] });
    assert.ok(task);
    /** How a stream ended: its error, or undefined when it ended as a success. */
    const endOf = async (messages: AsyncIterable<unknown>) => {
      try {
        for await (const _ of messages) {
          // Nothing happens on this server: no agent, no task changes.
        }
        return undefined;
      } catch (error) {
        return ConnectError.from(error);
      }
    };
    const streams = (["connect", "grpc", "grpc-web"] as const).flatMap((protocol) => [
      {
        name: `WatchTasks over ${protocol}`,
        ended: endOf(clientOver(protocol).tasks.watchTasks({})),
      },
      {
        name: `StreamTaskLogs with follow over ${protocol}`,
        ended: endOf(clientOver(protocol).tasks.streamTaskLogs({ id: task.id, follow: true })),
      },
    ]);
    // Time for every call to reach its handler before the signal.
    await sleep(300);
    server.kill("SIGTERM");
    for (const { name, ended } of streams) {
      const error = await ended;
      assert.equal(error?.code, Code.Unavailable, `${name}: ${error ?? "ended as a success"}`);
    }
    assert.equal(await server.exited, 0);
  });
});
