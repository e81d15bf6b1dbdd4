import type { Readable, Writable } from "node:stream";
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import {
  type ServerCompatRequest,
  ServerCompatRequestSchema,
  ServerCompatResponseSchema,
} from "./gen/connectrpc/conformance/v1/server_compat_pb.js";

/** The runner frames each message with its length as a 4-byte big-endian prefix. */
const lengthPrefixBytes = 4;

/** Reads the one length-prefixed ServerCompatRequest the runner writes, then lets go of `input`. */
export async function readServerCompatRequest(input: Readable): Promise<ServerCompatRequest> {
  let received = Buffer.alloc(0);
  for await (const chunk of input) {
    received = Buffer.concat([received, chunk as Buffer]);
    if (received.length < lengthPrefixBytes) {
      continue;
    }
    const end = lengthPrefixBytes + received.readUInt32BE(0);
    if (received.length >= end) {
      return fromBinary(ServerCompatRequestSchema, received.subarray(lengthPrefixBytes, end));
    }
  }
  throw new Error("stdin ended before a whole ServerCompatRequest arrived");
}

/** Writes a length-prefixed ServerCompatResponse, which tells the runner where to connect. */
export function writeServerCompatResponse(
  output: Writable,
  response: MessageInitShape<typeof ServerCompatResponseSchema>,
): Promise<void> {
  const message = toBinary(
    ServerCompatResponseSchema,
    create(ServerCompatResponseSchema, response),
  );
  const prefix = Buffer.alloc(lengthPrefixBytes);
  prefix.writeUInt32BE(message.length);
  return new Promise((resolve, reject) => {
    output.write(Buffer.concat([prefix, message]), (error) => (error ? reject(error) : resolve()));
  });
}
