import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { run } from "./support/run.js";
import { type LogLine, type StartedServer, startServer } from "./support/start-server.js";

/** A gRPC frame promising three bytes of protobuf that do not parse: a truncated varint. */
const truncatedProtobufFrame = Buffer.from([0, 0, 0, 0, 3, 0xff, 0xff, 0xff]);
/** A frame flagged compressed, sent without any grpc-encoding. */
const compressedWithoutEncodingFrame = Buffer.from([1, 0, 0, 0, 2, 0x61, 0x62]);

interface MalformedCase {
  name: string;
  method: string;
  contentType: string;
  body: Buffer;
  /** curl's HTTP/2 prior knowledge (h2c), which gRPC needs. */
  h2c: boolean;
}

const cases: MalformedCase[] = [
  {
    name: "gRPC GetTask with a truncated protobuf message",
    method: "sherpa.v1.TaskService/GetTask",
    contentType: "application/grpc",
    body: truncatedProtobufFrame,
    h2c: true,
  },
  {
    name: "gRPC WatchTasks (a server stream) with a truncated protobuf message",
    method: "sherpa.v1.TaskService/WatchTasks",
    contentType: "application/grpc",
    body: truncatedProtobufFrame,
    h2c: true,
  },
  {
    name: "gRPC-Web GetTask with a truncated protobuf message",
    method: "sherpa.v1.TaskService/GetTask",
    contentType: "application/grpc-web+proto",
    body: truncatedProtobufFrame,
    h2c: false,
  },
  {
    name: "Connect GetTask with a protobuf body that does not parse",
    method: "sherpa.v1.TaskService/GetTask",
    contentType: "application/proto",
    body: Buffer.from([0xff, 0xff, 0xff]),
    h2c: false,
  },
];

/** The gRPC status in headers, trailers or a gRPC-Web trailer frame; the Connect error code otherwise. */
function statusOf(output: string): { code: string; message: string } {
  const grpcStatus = /grpc-status: ?(\d+)/.exec(output)?.[1];
  if (grpcStatus !== undefined) {
    const message = decodeURIComponent(/grpc-message: ?([^\r\n]*)/.exec(output)?.[1] ?? "");
    return { code: grpcStatus, message };
  }
  const body = output.slice(output.lastIndexOf("\r\n\r\n") + 4);
  const error = JSON.parse(body) as { code: string; message: string };
  return { code: error.code, message: error.message };
}

/** Sends the case with curl, printing headers, body and trailers. */
async function curlWith(server: StartedServer, malformed: MalformedCase, requestId: string) {
  // run() writes its input as UTF-8, which would change bytes over 0x7f; printf writes them as they are.
  const result = await run("sh", [
    "-c",
    'printf "$0" | curl --silent --show-error -D - -o - --data-binary @- "$@"',
    [...malformed.body].map((byte) => `\\${byte.toString(8).padStart(3, "0")}`).join(""),
    ...(malformed.h2c ? ["--http2-prior-knowledge"] : []),
    "-H",
    `content-type: ${malformed.contentType}`,
    "-H",
    "te: trailers",
    "-H",
    `authorization: ${server.adminHeaders.authorization}`,
    "-H",
    `x-request-id: ${requestId}`,
    `${server.baseUrl}/${malformed.method}`,
  ]);
  assert.equal(result.exitCode, 0, result.stderr);
  return result.stdout;
}

describe("a request message that does not decode is the caller's InvalidArgument, never Internal", () => {
  let server: StartedServer;

  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  for (const [index, malformed] of cases.entries()) {
    test(`${malformed.name}: InvalidArgument, logged at info with the request id`, async () => {
      const requestId = `malformed-${index}`;
      const output = await curlWith(server, malformed, requestId);
      const status = statusOf(output);
      // 3 is gRPC's INVALID_ARGUMENT.
      assert.ok(["3", "invalid_argument"].includes(status.code), output);
      assert.match(status.message, /could not be decoded/);
      const line: LogLine = await server.waitForLogLine((entry) => entry.requestId === requestId);
      assert.equal(line.code, "InvalidArgument");
      assert.equal(line.level, 30, "a caller's mistake is no server error");
      assert.equal(line.err, undefined);
    });
  }

  // The gRPC and Connect protocols answer this one Internal, and the conformance suite checks it.
  for (const method of ["sherpa.v1.TaskService/GetTask", "sherpa.v1.TaskService/WatchTasks"]) {
    test(`a frame of ${method} flagged compressed without grpc-encoding: Internal as the protocol says, logged as a warning without a stack`, async () => {
      const requestId = `compressed-without-encoding-${method.endsWith("GetTask") ? "unary" : "stream"}`;
      const output = await curlWith(
        server,
        {
          name: "compressed without encoding",
          method,
          contentType: "application/grpc",
          body: compressedWithoutEncodingFrame,
          h2c: true,
        },
        requestId,
      );
      assert.equal(statusOf(output).code, "13", output);
      const line: LogLine = await server.waitForLogLine((entry) => entry.requestId === requestId);
      assert.equal(line.code, "Internal");
      assert.equal(line.level, 40, "a caller's mistake is a warning at most");
      assert.equal(line.err, undefined, "no error object, so no stack");
    });
  }
});
