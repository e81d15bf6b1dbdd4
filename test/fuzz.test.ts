import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, describe, test } from "node:test";
import {
  type DescMessage,
  type DescMethod,
  fromJson,
  type JsonValue,
  ScalarType,
  toBinary,
} from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { NodeService, QueueService, ResourceGroupService, TaskService } from "@sherpa/proto";
import {
  Health,
  HealthCheckResponse_ServingStatus,
} from "@sherpa/proto/grpc/health/v1/health_pb.js";
import { type StartedServer, startServer } from "./support/start-server.js";

/**
 * Bounded fuzzing of the RPC surface: a few hundred random and mutated gRPC,
 * gRPC-Web and Connect requests, with a valid credential, against a real
 * server. Every answer must be a proper status, none Internal or Unknown (all
 * of this is the caller's bad input; the one Internal the protocols require is
 * allowed, see protocolRequiredInternal), and the server must still answer
 * health checks and have logged no error. The seed is printed; set SHERPA_FUZZ_SEED to
 * replay a run.
 */

const seed = Number(process.env.SHERPA_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));
const casesPerKind = { grpc: 240, grpcWeb: 80, connectUnary: 240, connectStream: 60 };
/** Calls in flight at once. */
const concurrency = 8;
/** Every call asks for this deadline, so that well-formed streams end too. */
const callTimeoutMs = 300;

/** mulberry32: small, fast and good enough to drive a fuzzer reproducibly. */
function createRandom(initial: number) {
  let state = initial >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number) => Math.floor(next() * below);
  return {
    next,
    int,
    chance: (probability: number) => next() < probability,
    pick: <T>(items: readonly T[]): T => items[int(items.length)] as T,
    bytes: (length: number) => Uint8Array.from({ length }, () => int(256)),
  };
}
type Random = ReturnType<typeof createRandom>;

const services = [TaskService, QueueService, NodeService, ResourceGroupService, Health];
const methods: DescMethod[] = services.flatMap((service) =>
  service.methods.filter((method) => method.methodKind !== "bidi_streaming"),
);
const interestingStrings = ["", "x", "default", "ü", "\u0000", "a".repeat(300), "../..", "%00"];

/** A random JSON value: what a confused or hostile client might send for anything. */
function randomJson(random: Random, depth = 0): JsonValue {
  switch (random.int(depth > 2 ? 5 : 7)) {
    case 0:
      return null;
    case 1:
      return random.chance(0.5);
    case 2:
      return random.pick([0, -1, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), Number.MAX_VALUE]);
    case 3:
      return random.pick(interestingStrings);
    case 4:
      return random.pick(["1s", "NaN", "Infinity", "1e999", "TASK_STATE_RUNNING", "AAAA"]);
    case 5:
      return Array.from({ length: random.int(4) }, () => randomJson(random, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: random.int(4) }, () => [
          random.pick(["id", "queue", "argv", "labels", "x", "pageSize", "@type"]),
          randomJson(random, depth + 1),
        ]),
      );
  }
}

/** A JSON request of the right shape, each field with a plausible random value. */
function plausibleJson(message: DescMessage, random: Random, depth = 0): Record<string, JsonValue> {
  const json: Record<string, JsonValue> = {};
  for (const field of message.fields) {
    if (random.chance(0.4)) {
      continue;
    }
    const value = (): JsonValue | undefined => {
      if (field.message !== undefined) {
        const wellKnown = field.message.typeName.startsWith("google.protobuf.");
        return wellKnown || depth > 1 ? undefined : plausibleJson(field.message, random, depth + 1);
      }
      if (field.enum !== undefined) {
        return random.int(8);
      }
      if (random.chance(0.2)) {
        return randomJson(random, 2);
      }
      switch (field.scalar) {
        case ScalarType.STRING:
          return random.pick([...interestingStrings, "echo", "gpu", "team-a", "task-1"]);
        case ScalarType.BOOL:
          return random.chance(0.5);
        case ScalarType.BYTES:
          return "AAAA";
        default:
          return random.pick([0, 1, 2, 10, 100, 1000, -1]);
      }
    };
    const one = value();
    if (one === undefined) {
      continue;
    }
    json[field.jsonName] =
      field.fieldKind === "list" ? [one] : field.fieldKind === "map" ? { key: one } : one;
  }
  return json;
}

/** A valid binary request message, or an empty one where the random values do not fit. */
function plausibleBinary(method: DescMethod, random: Random): Uint8Array {
  try {
    return toBinary(method.input, fromJson(method.input, plausibleJson(method.input, random)));
  } catch {
    return new Uint8Array();
  }
}

function mutateBytes(bytes: Uint8Array, random: Random): Uint8Array {
  const copy = [...bytes];
  switch (random.int(4)) {
    case 0:
      return random.bytes(random.int(48));
    case 1:
      for (let flips = 1 + random.int(3); flips > 0 && copy.length > 0; flips--) {
        copy[random.int(copy.length)] = random.int(256);
      }
      return Uint8Array.from(copy);
    case 2:
      return Uint8Array.from(copy.slice(0, random.int(copy.length + 1)));
    default:
      return Uint8Array.from([...copy, ...random.bytes(1 + random.int(8))]);
  }
}

function envelope(flags: number, payload: Uint8Array, declaredLength = payload.length): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(flags & 0xff, 0);
  head.writeUInt32BE(declaredLength >>> 0, 1);
  return Buffer.concat([head, payload]);
}

/** A gRPC or gRPC-Web body: usually one frame, sometimes a broken or doubled one. */
function mutatedFrames(payload: Uint8Array, random: Random): Buffer {
  switch (random.int(7)) {
    case 0:
      return envelope(0, payload, payload.length + 1 + random.int(100));
    case 1:
      return envelope(random.pick([1, 2, 0x80, 0xff]), payload);
    case 2:
      return Buffer.concat([envelope(0, payload), envelope(0, payload)]);
    case 3:
      return Buffer.from(random.bytes(random.int(5)));
    default:
      return envelope(0, payload);
  }
}

function mutateText(text: string, random: Random): string {
  const at = random.int(text.length + 1);
  switch (random.int(4)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return (
        text.slice(0, at) +
        random.pick(["{", "}", '"', ",", "\\", "\uD800", "[", ":"]) +
        text.slice(at)
      );
    case 2:
      return `${"[".repeat(200)}${text}`;
    default:
      return text.slice(0, at) + text.slice(at + 1 + random.int(5));
  }
}

interface FuzzCase {
  kind: keyof typeof casesPerKind;
  method: DescMethod;
  headers: Record<string, string>;
  body: Buffer;
}

function path(method: DescMethod) {
  return `/${method.parent.typeName}/${method.name}`;
}

/** Headers a client might get wrong besides the body. */
function mutatedHeaders(random: Random, timeoutHeader: string, timeout: string) {
  const headers: Record<string, string> = { [timeoutHeader]: timeout };
  if (random.chance(0.1)) {
    headers[timeoutHeader] = random.pick(["", "x", "-1m", "99999999999S", "1H"]);
  }
  if (random.chance(0.1)) {
    headers[timeoutHeader.startsWith("grpc") ? "grpc-encoding" : "connect-content-encoding"] =
      random.pick(["gzip", "br", "snappy", ""]);
  }
  return headers;
}

function generateCases(random: Random): FuzzCase[] {
  const cases: FuzzCase[] = [];
  for (let index = 0; index < casesPerKind.grpc + casesPerKind.grpcWeb; index++) {
    const grpcWeb = index >= casesPerKind.grpc;
    const method = random.pick(methods);
    const json = grpcWeb ? false : random.chance(0.2);
    const payload = json
      ? Buffer.from(mutateText(JSON.stringify(plausibleJson(method.input, random)), random))
      : mutateBytes(plausibleBinary(method, random), random);
    cases.push({
      kind: grpcWeb ? "grpcWeb" : "grpc",
      method,
      headers: {
        "content-type": `application/${grpcWeb ? "grpc-web" : "grpc"}+${json ? "json" : "proto"}`,
        ...mutatedHeaders(random, "grpc-timeout", `${callTimeoutMs}m`),
      },
      body: mutatedFrames(payload, random),
    });
  }
  const unary = methods.filter((method) => method.methodKind === "unary");
  for (let index = 0; index < casesPerKind.connectUnary; index++) {
    const method = random.pick(unary);
    const plausible = JSON.stringify(plausibleJson(method.input, random));
    const text = random.chance(0.3)
      ? JSON.stringify(randomJson(random))
      : random.chance(0.5)
        ? mutateText(plausible, random)
        : plausible;
    cases.push({
      kind: "connectUnary",
      method,
      headers: {
        "content-type": "application/json",
        ...mutatedHeaders(random, "connect-timeout-ms", String(callTimeoutMs)),
      },
      body: random.chance(0.05) ? Buffer.from(random.bytes(16)) : Buffer.from(text),
    });
  }
  const streams = methods.filter((method) => method.methodKind === "server_streaming");
  for (let index = 0; index < casesPerKind.connectStream; index++) {
    const method = random.pick(streams);
    const text = mutateText(JSON.stringify(plausibleJson(method.input, random)), random);
    cases.push({
      kind: "connectStream",
      method,
      headers: {
        "content-type": "application/connect+json",
        ...mutatedHeaders(random, "connect-timeout-ms", String(callTimeoutMs)),
      },
      body: mutatedFrames(Buffer.from(text), random),
    });
  }
  return cases;
}

/** What came back: the HTTP status, headers, body and trailers. */
interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  trailers: Record<string, string>;
}

function flatHeaders(headers: http2.IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, String(value ?? "")]),
  );
}

function send(session: http2.ClientHttp2Session, server: StartedServer, fuzzCase: FuzzCase) {
  return new Promise<Answer>((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": path(fuzzCase.method),
      te: "trailers",
      ...server.adminHeaders,
      ...fuzzCase.headers,
    });
    let headers: Record<string, string> = {};
    let trailers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    stream.on("response", (received) => {
      headers = flatHeaders(received);
    });
    stream.on("trailers", (received) => {
      trailers = flatHeaders(received);
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on("close", () => {
      if (stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR && headers[":status"] === undefined) {
        reject(new Error(`stream reset with code ${stream.rstCode} before any answer`));
        return;
      }
      resolve({
        status: Number(headers[":status"]),
        headers,
        body: Buffer.concat(chunks),
        trailers,
      });
    });
    stream.setTimeout(5000, () => stream.close(http2.constants.NGHTTP2_CANCEL));
    stream.end(fuzzCase.body);
  });
}

const grpcCodes = new Map([
  [2, "Unknown"],
  [13, "Internal"],
]);
const connectCodes = new Set([
  "canceled",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "unavailable",
  "data_loss",
  "unauthenticated",
]);

/** The trailers of a gRPC-Web body: its trailer frame (flag 0x80), at its end. */
function grpcWebTrailers(body: Buffer): Record<string, string> {
  for (let at = 0; at + 5 <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    if ((body[at] ?? 0) & 0x80) {
      const lines = body
        .subarray(at + 5, at + 5 + length)
        .toString()
        .split("\r\n");
      return Object.fromEntries(
        lines.map((line) => [
          line.slice(0, line.indexOf(":")),
          line.slice(line.indexOf(":") + 1).trim(),
        ]),
      );
    }
    at += 5 + length;
  }
  return {};
}

/** The error of a Connect stream: the end-stream frame (flag 0x02) at its end. */
function connectEndStreamError(body: Buffer): { code: string; message: string } | undefined {
  for (let at = 0; at + 5 <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    if ((body[at] ?? 0) & 0x02) {
      const end = JSON.parse(body.subarray(at + 5, at + 5 + length).toString());
      return { code: end.error?.code ?? "ok", message: end.error?.message ?? "" };
    }
    at += 5 + length;
  }
  return undefined;
}

/**
 * The one Internal that bad input may get: the gRPC and Connect protocols
 * require it for a frame flagged compressed without an encoding (the Connect
 * conformance suite checks it), and the server logs it as the caller's fault.
 */
const protocolRequiredInternal = "received compressed envelope, but do not know how to decompress";

/** Why the answer is not a proper status for bad input, or undefined when it is one. */
function problemWith(fuzzCase: FuzzCase, answer: Answer): string | undefined {
  if (fuzzCase.kind === "grpc" || fuzzCase.kind === "grpcWeb") {
    if (answer.status !== 200) {
      return `HTTP ${answer.status} instead of 200 with a gRPC status`;
    }
    const trailers = { ...answer.headers, ...grpcWebTrailers(answer.body), ...answer.trailers };
    const status = trailers["grpc-status"];
    const code = Number(status);
    if (status === undefined || !Number.isInteger(code) || code < 0 || code > 16) {
      return `no valid grpc-status (got ${status})`;
    }
    const bad = grpcCodes.get(code);
    const message = decodeURIComponent(trailers["grpc-message"] ?? "");
    if (bad === undefined || (code === 13 && message === protocolRequiredInternal)) {
      return undefined;
    }
    return `grpc-status ${code} (${bad}): ${message}`;
  }
  if (fuzzCase.kind === "connectStream") {
    if (answer.status !== 200) {
      return `HTTP ${answer.status} instead of 200 with an end-stream message`;
    }
    const end = connectEndStreamError(answer.body);
    if (end === undefined) {
      return "no end-stream message";
    }
    const allowed =
      end.code === "ok" ||
      connectCodes.has(end.code) ||
      (end.code === "internal" && end.message === protocolRequiredInternal);
    return allowed ? undefined : `end-stream code ${end.code}: ${end.message}`;
  }
  if (answer.status === 200) {
    return undefined;
  }
  try {
    const error = JSON.parse(answer.body.toString()) as { code?: string; message?: string };
    return error.code !== undefined && connectCodes.has(error.code)
      ? undefined
      : `HTTP ${answer.status} code ${error.code}: ${error.message}`;
  } catch {
    return `HTTP ${answer.status} with a body that is no Connect error: ${answer.body.toString().slice(0, 200)}`;
  }
}

describe("fuzzing the RPC surface with a valid credential", () => {
  let server: StartedServer;

  before(async () => {
    server = await startServer({
      env: { SHERPA_RATE_LIMIT_PER_SECOND: "100000", SHERPA_RATE_LIMIT_BURST: "100000" },
    });
  });
  after(() => server.stop());

  test(`${Object.values(casesPerKind).reduce((a, b) => a + b)} random and mutated requests: proper statuses, no Internal, the server stays up`, {
    timeout: 60_000,
  }, async (t) => {
    t.diagnostic(`fuzz seed ${seed}; replay with SHERPA_FUZZ_SEED=${seed}`);
    const cases = generateCases(createRandom(seed));
    const session = http2.connect(server.baseUrl);
    session.on("error", () => {
      // Each request reports its own failure.
    });
    const problems: string[] = [];
    try {
      let next = 0;
      const worker = async () => {
        for (let index = next++; index < cases.length; index = next++) {
          const fuzzCase = cases[index] as FuzzCase;
          const describeCase = () =>
            `#${index} ${fuzzCase.kind} ${path(fuzzCase.method)} ${JSON.stringify(fuzzCase.headers)} body ${fuzzCase.body.toString("hex").slice(0, 120)}`;
          try {
            const problem = problemWith(fuzzCase, await send(session, server, fuzzCase));
            if (problem !== undefined) {
              problems.push(`${describeCase()}: ${problem}`);
            }
          } catch (error) {
            problems.push(`${describeCase()}: ${(error as Error).message}`);
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    } finally {
      session.close();
    }
    assert.deepEqual(problems.slice(0, 10), [], `seed ${seed}: ${problems.length} problems`);

    const health = createClient(Health, createGrpcTransport({ baseUrl: server.baseUrl }));
    const { status } = await health.check({ service: "" });
    assert.equal(status, HealthCheckResponse_ServingStatus.SERVING);
    const errorLines = server.logLines().filter((line) => Number(line.level) >= 50);
    assert.deepEqual(errorLines.slice(0, 5), [], `seed ${seed}: the server logged errors`);
  });
});
