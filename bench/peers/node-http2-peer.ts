import http2 from "node:http2";
import { grpcFrame } from "../grpc-frames.js";
import { announcePorts, exitOnSigterm, readPeerArguments } from "./peer-arguments.js";

// The raw node:http2 peer: answers by path with bytes encoded once at start,
// gRPC (length-prefixed messages, grpc-status trailer) or Connect unary
// (application/proto body). What HTTP/2 costs in Node with no framework.
const { canned } = readPeerArguments(process.argv);
const grpcResponses = new Map([
  ["/sherpa.v1.TaskService/GetTask", grpcFrame(canned.getTask)],
  ["/sherpa.v1.TaskService/SubmitTask", grpcFrame(canned.submitTask)],
  ["/grpc.health.v1.Health/Check", grpcFrame(canned.healthCheck)],
]);
const connectResponses = new Map([["/sherpa.v1.TaskService/GetTask", canned.getTask]]);
const logBatch = grpcFrame(canned.logBatch);
const watchEvent = grpcFrame(canned.watchTasks);
const grpcHeaders = { ":status": 200, "content-type": "application/grpc" };

function answerGrpc(stream: http2.ServerHttp2Stream, body: Buffer | undefined) {
  stream.respond(grpcHeaders, { waitForTrailers: true });
  stream.once("wantTrailers", () =>
    stream.sendTrailers(body === undefined ? { "grpc-status": "12" } : { "grpc-status": "0" }),
  );
  stream.end(body);
}

async function streamLogBatches(stream: http2.ServerHttp2Stream) {
  stream.respond(grpcHeaders, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
  const closed = new Promise((resolve) => stream.once("close", resolve));
  for (let sent = 0; sent < canned.logBatches && !stream.destroyed; sent++) {
    if (!stream.write(logBatch)) {
      await Promise.race([new Promise((resolve) => stream.once("drain", resolve)), closed]);
    }
  }
  stream.end();
}

function answer(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) {
  const path = headers[":path"] ?? "";
  if (path === "/sherpa.v1.TaskService/StreamTaskLogs") {
    void streamLogBatches(stream);
  } else if (path === "/sherpa.v1.TaskService/WatchTasks") {
    // One event, then the stream stays open until the client resets it.
    stream.respond(grpcHeaders);
    stream.write(watchEvent);
  } else if (headers["content-type"] === "application/proto") {
    const body = connectResponses.get(path);
    stream.respond({
      ":status": body === undefined ? 404 : 200,
      "content-type": "application/proto",
    });
    stream.end(body);
  } else {
    answerGrpc(stream, grpcResponses.get(path));
  }
}

const server = http2.createServer();
server.on("stream", (stream, headers) => {
  stream.on("error", () => {});
  // The request is read to its end, as a server that looked at it would.
  stream.resume();
  if (stream.readableEnded) {
    answer(stream, headers);
  } else {
    stream.once("end", () => answer(stream, headers));
  }
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  announcePorts({ h2: typeof address === "object" && address !== null ? address.port : 0 });
});
exitOnSigterm();
