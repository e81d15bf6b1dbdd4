import assert from "node:assert/strict";
import { once } from "node:events";
import http2 from "node:http2";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
} from "@sherpa/proto/grpc/reflection/v1/reflection_pb.js";
import { type StartedServer, startServer } from "./support/start-server.js";

const bodyTimeoutMs = 1000;
/** Far past the body timeout: a call still open by then was never cut. */
const givenUpAfterMs = 6 * bodyTimeoutMs;
/** A client sends one more byte of its body this often: always some, never all. */
const trickleEveryMs = 200;

/** What a trickled HTTP/2 gRPC call got: its trailers, and how its stream ended. */
interface TrickledCall {
  trailers: http2.IncomingHttpHeaders | undefined;
  rstCode: number | undefined;
  endedAfterMs: number;
}

/**
 * Opens a gRPC call on `session` whose message announces 100 bytes, then sends
 * them one at a time; resolves once the stream is closed, or rejects when
 * it is still open after {@link givenUpAfterMs}.
 */
function trickleGrpcCall(server: StartedServer, session: http2.ClientHttp2Session, path: string) {
  const startedAt = Date.now();
  const stream = session.request({
    ":method": "POST",
    ":path": path,
    "content-type": "application/grpc",
    te: "trailers",
    ...server.adminHeaders,
  });
  const header = Buffer.alloc(5);
  header.writeUInt32BE(100, 1);
  stream.write(header);
  const trickle = setInterval(() => {
    if (stream.writable) {
      stream.write(Buffer.of(0));
    }
  }, trickleEveryMs);
  let trailers: http2.IncomingHttpHeaders | undefined;
  stream.on("trailers", (received) => {
    trailers = received;
  });
  stream.on("error", () => {
    // A reset shows in rstCode.
  });
  stream.resume();
  return new Promise<TrickledCall>((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(trickle);
      stream.close();
      reject(new Error(`${path}: still open ${givenUpAfterMs} ms after it started`));
    }, givenUpAfterMs);
    stream.once("close", () => {
      clearTimeout(timer);
      clearInterval(trickle);
      resolve({ trailers, rstCode: stream.rstCode, endedAfterMs: Date.now() - startedAt });
    });
  });
}

/** Sends `head` and the first byte of its body, then a byte now and then; resolves with what came back once the server closes. */
function trickleHttp1(port: number, head: string) {
  const socket = net.connect(port, "127.0.0.1", () => socket.write(`${head}{`));
  const trickle = setInterval(() => {
    if (socket.writable) {
      socket.write(" ");
    }
  }, trickleEveryMs);
  let received = "";
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => {
    received += chunk;
  });
  socket.on("error", () => {
    // Writing into a connection the server closed; what it answered is in `received`.
  });
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(trickle);
      socket.destroy();
      reject(new Error(`still open ${givenUpAfterMs} ms after connecting; got ${received}`));
    }, givenUpAfterMs);
    socket.once("close", () => {
      clearTimeout(timer);
      clearInterval(trickle);
      resolve(received);
    });
  });
}

function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

describe("a request body must arrive within SHERPA_BODY_TIMEOUT_MS", () => {
  let server: StartedServer;

  before(async () => {
    server = await startServer({ env: { SHERPA_BODY_TIMEOUT_MS: String(bodyTimeoutMs) } });
  });
  after(() => server.stop());

  test("HTTP/2: unary calls trickling their bodies end with DeadlineExceeded and a reset stream", async () => {
    const session = http2.connect(server.baseUrl);
    try {
      const calls = await Promise.all(
        Array.from({ length: 20 }, () =>
          trickleGrpcCall(server, session, "/sherpa.v1.QueueService/ListQueues"),
        ),
      );
      for (const call of calls) {
        assert.equal(call.trailers?.["grpc-status"], "4", JSON.stringify(call.trailers));
        assert.match(
          decodeURIComponent(String(call.trailers?.["grpc-message"])),
          /did not arrive within 1 s/,
        );
        // The server stops the upload with RST_STREAM(NO_ERROR) once it has answered.
        assert.equal(call.rstCode, http2.constants.NGHTTP2_NO_ERROR);
        assert.ok(call.endedAfterMs >= bodyTimeoutMs - 100, `cut after ${call.endedAfterMs} ms`);
      }
      // The session itself still serves calls.
      const ping = await new Promise<number>((resolve, reject) =>
        session.ping((error, duration) => (error ? reject(error) : resolve(duration))),
      );
      assert.ok(ping >= 0);
    } finally {
      session.close();
    }
  });

  test("HTTP/1.1: a Connect call trickling its body gets deadline_exceeded and the connection closes", async () => {
    const received = await trickleHttp1(
      server.port,
      "POST /sherpa.v1.QueueService/ListQueues HTTP/1.1\r\nHost: sherpa\r\n" +
        `Authorization: ${server.adminHeaders.authorization}\r\n` +
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n",
    );
    const [head = "", body = ""] = received.split("\r\n\r\n");
    assert.match(head, /^HTTP\/1\.1 504 /, received);
    assert.match(head, /^connection: close$/im);
    assert.equal(JSON.parse(body).code, "deadline_exceeded");
  });

  test("HTTP/1.1: a request outside the RPCs trickling its body gets 408 and the connection closes", async () => {
    const received = await trickleHttp1(
      server.port,
      "POST /metrics HTTP/1.1\r\nHost: sherpa\r\n" +
        `Authorization: ${server.adminHeaders.authorization}\r\n` +
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n",
    );
    assert.match(received, /^HTTP\/1\.1 408 /, received);
  });

  test("a bidi stream (reflection) may keep its request open past the timeout", async () => {
    const session = http2.connect(server.baseUrl);
    try {
      const stream = session.request({
        ":method": "POST",
        ":path": "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "content-type": "application/grpc",
        te: "trailers",
        ...server.adminHeaders,
      });
      stream.on("error", () => {
        // Failures show as a missing answer below.
      });
      stream.setTimeout(givenUpAfterMs, () => stream.close());
      let received = Buffer.alloc(0);
      const firstFrame = new Promise<Buffer>((resolve, reject) => {
        stream.on("data", (chunk: Buffer) => {
          received = Buffer.concat([received, chunk]);
          const length = received.length >= 5 ? received.readUInt32BE(1) : Number.POSITIVE_INFINITY;
          if (received.length >= 5 + length) {
            resolve(received.subarray(5, 5 + length));
          }
        });
        stream.once("close", () => reject(new Error("the stream closed without an answer")));
      });
      // Nothing sent for well past the timeout, as a client between two questions.
      await sleep(2.5 * bodyTimeoutMs);
      assert.equal(stream.closed, false, "the stream was closed while idle");
      stream.write(
        grpcFrame(
          toBinary(
            ServerReflectionRequestSchema,
            create(ServerReflectionRequestSchema, {
              messageRequest: { case: "listServices", value: "" },
            }),
          ),
        ),
      );
      const answer = fromBinary(ServerReflectionResponseSchema, await firstFrame);
      assert.equal(answer.messageResponse.case, "listServicesResponse");
      stream.end();
      const [trailers] = (await once(stream, "trailers")) as [http2.IncomingHttpHeaders];
      assert.equal(trailers["grpc-status"], "0");
    } finally {
      session.close();
    }
  });
});
