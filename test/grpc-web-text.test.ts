import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import {
  GetTaskRequestSchema,
  GetTaskResponseSchema,
  ListQueuesRequestSchema,
  ListQueuesResponseSchema,
  WatchTasksRequestSchema,
  WatchTasksResponseSchema,
} from "@sherpa/proto";
import { curl } from "./support/curl.js";
import { type StartedServer, startServer } from "./support/start-server.js";

/** The flags byte of a gRPC-Web frame that carries the trailers, not a message. */
const trailerFlag = 0x80;

interface Frame {
  flags: number;
  data: Buffer;
}

/** A request message as a gRPC-Web text body: one uncompressed frame, base64-encoded. */
function textBody<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): string {
  const data = toBinary(schema, message);
  const frame = Buffer.alloc(5 + data.length);
  frame.writeUInt32BE(data.length, 1);
  frame.set(data, 5);
  return frame.toString("base64");
}

/**
 * The frames in a gRPC-Web text response read so far: its whole quartets,
 * decoded piece by piece because each chunk the server sent is padded on its
 * own, then cut into frames; a frame not yet complete is left out.
 */
function framesOf(text: string): Frame[] {
  const whole = text.slice(0, text.length - (text.length % 4));
  const bytes = Buffer.concat(
    whole.split(/(?<==)(?!=)/).map((piece) => Buffer.from(piece, "base64")),
  );
  const frames: Frame[] = [];
  for (let offset = 0; offset + 5 <= bytes.length; ) {
    const length = bytes.readUInt32BE(offset + 1);
    if (offset + 5 + length > bytes.length) {
      break;
    }
    frames.push({
      flags: bytes.readUInt8(offset),
      data: bytes.subarray(offset + 5, offset + 5 + length),
    });
    offset += 5 + length;
  }
  return frames;
}

/** The trailers of the response's trailer frame, by lowercase name. */
function trailersOf(frames: Frame[]): Record<string, string> {
  const trailerFrames = frames.filter((frame) => (frame.flags & trailerFlag) !== 0);
  assert.equal(trailerFrames.length, 1, "one trailer frame");
  const trailers: Record<string, string> = {};
  for (const line of trailerFrames[0]?.data.toString("latin1").split("\r\n") ?? []) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
  }
  return trailers;
}

function messagesOf<Desc extends DescMessage>(schema: Desc, frames: Frame[]) {
  return frames
    .filter((frame) => (frame.flags & trailerFlag) === 0)
    .map((frame) => fromBinary(schema, frame.data));
}

/** curl's answer with its headers: the status line and headers, then the body. */
function splitHead(body: string) {
  const end = body.indexOf("\r\n\r\n");
  return { head: body.slice(0, end), body: body.slice(end + 4) };
}

describe("gRPC-Web text mode (application/grpc-web-text), as Google's grpc-web client speaks it", () => {
  let server: StartedServer;

  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  const textHeaders = (credential = true) => [
    ...(credential ? ["-H", `authorization: ${server.adminHeaders.authorization}`] : []),
    "-H",
    "content-type: application/grpc-web-text",
    "-H",
    "accept: application/grpc-web-text",
    "-H",
    "x-grpc-web: 1",
  ];

  for (const httpFlag of ["--http1.1", "--http2-prior-knowledge"]) {
    test(`curl ${httpFlag}: a unary call's message and OK trailer come back base64-encoded`, async () => {
      const response = await curl([
        httpFlag,
        "--include",
        ...textHeaders(),
        "--data-binary",
        textBody(ListQueuesRequestSchema, create(ListQueuesRequestSchema)),
        `${server.baseUrl}/sherpa.v1.QueueService/ListQueues`,
      ]);
      assert.equal(response.status, 200, response.body);
      const { head, body } = splitHead(response.body);
      assert.match(head, /^content-type: application\/grpc-web-text\+proto$/im);
      assert.match(body, /^[A-Za-z0-9+/=]+$/, "the body is base64 text");
      const frames = framesOf(body);
      const [listed, ...more] = messagesOf(ListQueuesResponseSchema, frames);
      assert.equal(more.length, 0);
      assert.ok(
        listed?.queues.some((queue) => queue.name === "default"),
        body,
      );
      assert.equal(trailersOf(frames)["grpc-status"], "0");
    });
  }

  test("curl: NotFound arrives as the trailer frame, with no message", async () => {
    const response = await curl([
      "--include",
      ...textHeaders(),
      "--data-binary",
      textBody(GetTaskRequestSchema, create(GetTaskRequestSchema, { id: "no-such-task" })),
      `${server.baseUrl}/sherpa.v1.TaskService/GetTask`,
    ]);
    assert.equal(response.status, 200, response.body);
    const frames = framesOf(splitHead(response.body).body);
    assert.deepEqual(messagesOf(GetTaskResponseSchema, frames), []);
    const trailers = trailersOf(frames);
    assert.equal(trailers["grpc-status"], "5");
    assert.match(decodeURIComponent(trailers["grpc-message"] ?? ""), /not found/);
  });

  test("curl: without a credential, Unauthenticated comes as a text-mode trailers-only answer", async () => {
    const response = await curl([
      "--include",
      ...textHeaders(false),
      "--data-binary",
      textBody(ListQueuesRequestSchema, create(ListQueuesRequestSchema)),
      `${server.baseUrl}/sherpa.v1.QueueService/ListQueues`,
    ]);
    const { head, body } = splitHead(response.body);
    assert.match(head, /^content-type: application\/grpc-web-text\+proto$/im);
    assert.match(head, /^grpc-status: 16$/im);
    assert.equal(body, "");
  });

  test("curl: a body that is not base64 is InvalidArgument", async () => {
    const response = await curl([
      "--include",
      ...textHeaders(),
      "--data-binary",
      "AAAA*AAA",
      `${server.baseUrl}/sherpa.v1.QueueService/ListQueues`,
    ]);
    const trailers = trailersOf(framesOf(splitHead(response.body).body));
    assert.equal(trailers["grpc-status"], "3");
    assert.match(decodeURIComponent(trailers["grpc-message"] ?? ""), /base64/);
  });

  test("raw HTTP/1.1: a server stream sends each event as it happens, then its trailer frame", async () => {
    const submitTask = async (name: string) => {
      const response = await fetch(`${server.baseUrl}/sherpa.v1.TaskService/SubmitTask`, {
        method: "POST",
        headers: { ...server.adminHeaders, "content-type": "application/json" },
        body: JSON.stringify({ name, argv: ["true"] }),
      });
      assert.equal(response.status, 200, await response.clone().text());
      return ((await response.json()) as { task: { id: string } }).task.id;
    };
    const current = [await submitTask("before-1"), await submitTask("before-2")];

    let text = "";
    let ended = false;
    const changed = new Set<() => void>();
    const request = http.request(`${server.baseUrl}/sherpa.v1.TaskService/WatchTasks`, {
      method: "POST",
      headers: {
        ...server.adminHeaders,
        "content-type": "application/grpc-web-text",
        accept: "application/grpc-web-text",
        "x-grpc-web": "1",
        // The stream ends when its deadline passes, with its status in the trailer frame.
        "grpc-timeout": "3S",
      },
    });
    const responded = new Promise<http.IncomingMessage>((resolve, reject) => {
      request.once("response", resolve);
      request.once("error", reject);
    });
    request.end(
      textBody(WatchTasksRequestSchema, create(WatchTasksRequestSchema, { includeCurrent: true })),
    );
    const response = await responded;
    assert.equal(response.headers["content-type"], "application/grpc-web-text+proto");
    response.setEncoding("latin1");
    response.on("data", (chunk: string) => {
      text += chunk;
      for (const notify of changed) notify();
    });
    response.once("end", () => {
      ended = true;
      for (const notify of changed) notify();
    });
    const framesWhen = (done: (frames: Frame[]) => boolean) =>
      new Promise<Frame[]>((resolve, reject) => {
        const check = () => {
          const frames = framesOf(text);
          if (done(frames)) {
            changed.delete(check);
            resolve(frames);
          } else if (ended) {
            changed.delete(check);
            reject(new Error(`the stream ended first; received ${text}`));
          }
        };
        changed.add(check);
        check();
      });

    const events = (frames: Frame[]) => messagesOf(WatchTasksResponseSchema, frames);
    const before = await framesWhen((frames) => events(frames).length >= current.length);
    assert.deepEqual(
      events(before).map((event) => [event.task?.id, event.current]),
      current.map((id) => [id, true]),
    );
    // Sent while the stream is open, so it can only arrive if chunks are encoded as they go.
    const later = await submitTask("during");
    const during = await framesWhen((frames) =>
      events(frames).some((event) => event.task?.id === later),
    );
    assert.equal(ended, false);
    assert.ok(events(during).find((event) => event.task?.id === later)?.current === false);

    const all = await framesWhen(() => ended);
    assert.match(text, /^[A-Za-z0-9+/=]+$/, "the body is base64 text");
    // How a watch ends at its deadline (OK or DeadlineExceeded) is the stream's business, not the encoding's.
    assert.match(trailersOf(all)["grpc-status"] ?? "", /^(0|4)$/);
  });
});
