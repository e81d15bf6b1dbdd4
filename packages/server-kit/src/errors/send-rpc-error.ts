import type { ConnectError } from "@connectrpc/connect";
import {
  codeToHttpStatus,
  endStreamToJson,
  errorToJson,
} from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import type { FastifyReply, FastifyRequest } from "fastify";

/** Flags byte of a Connect end-of-stream envelope. */
const connectEndStreamFlag = 0b10;

/**
 * Answers a request with an RPC error in the caller's own protocol, before any
 * handler ran (for example from an `onRequest` hook, so that the body is never
 * read): gRPC gets a trailers-only response, gRPC-Web the status in its
 * headers, a Connect stream an end-of-stream message, and anything else a
 * Connect unary error (JSON, with the HTTP status of the code).
 */
export function sendRpcError(
  request: FastifyRequest,
  reply: FastifyReply,
  error: ConnectError,
): FastifyReply {
  const contentType = request.headers["content-type"] ?? "";
  for (const [name, value] of error.metadata) {
    reply.header(name, value);
  }
  if (contentType.startsWith("application/grpc-web")) {
    return reply.code(200).header("content-type", contentType).headers(grpcStatus(error)).send();
  }
  if (contentType.startsWith("application/grpc")) {
    // gRPC over HTTP/2 reads the status from trailers.
    reply.hijack();
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) {
        headers[name] = String(value);
      }
    }
    reply.raw.writeHead(200, { ...headers, "content-type": contentType });
    reply.raw.addTrailers(grpcStatus(error));
    reply.raw.end();
    return reply;
  }
  if (contentType.startsWith("application/connect+")) {
    const json = JSON.stringify(endStreamToJson(new Headers(), error, undefined));
    const payload = Buffer.from(json);
    const envelope = Buffer.alloc(5 + payload.length);
    envelope.writeUInt8(connectEndStreamFlag, 0);
    envelope.writeUInt32BE(payload.length, 1);
    payload.copy(envelope, 5);
    return reply.code(200).header("content-type", contentType).send(envelope);
  }
  return reply
    .code(codeToHttpStatus(error.code))
    .header("content-type", "application/json")
    .send(JSON.stringify(errorToJson(error, undefined)));
}

function grpcStatus(error: ConnectError): Record<string, string> {
  return Object.fromEntries(setTrailerStatus(new Headers(), error).entries());
}
