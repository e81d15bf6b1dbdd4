import type http from "node:http";
import type http2 from "node:http2";
import { createBase64Decoder } from "./create-base64-decoder.js";

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;

/** The text mode of gRPC-Web: `application/grpc-web-text`, `+proto` or `+json`. */
const textContentType =
  /^application\/grpc-web-text(?:\+(?:(json)(?:; ?charset=utf-?8)?|proto))?$/i;
/** The binary form connect-node serves, as it names it in its responses. */
const binaryContentType = /^application\/grpc-web(?:\+(json|proto))?(?:;.*)?$/i;

/**
 * Serves gRPC-Web text mode (the default of Google's grpc-web JavaScript
 * client, and the mode its server streams need) on top of the binary mode
 * connect-node speaks: a request of content type `application/grpc-web-text`
 * is handed on as `application/grpc-web+proto` with its base64 body decoded
 * as it arrives, and its response goes out as `application/grpc-web-text+proto`
 * with every chunk (messages and the trailer frame alike) base64-encoded on
 * its own, padding included, which the gRPC-Web protocol allows. A response
 * that is not gRPC-Web (a plain 404, say) is left as it is. Other requests
 * are not touched. Call it before the request reaches Fastify.
 */
export function serveGrpcWebText(request: NodeRequest, response: NodeResponse): void {
  const match = textContentType.exec(request.headers["content-type"] ?? "");
  if (match === null) {
    return;
  }
  const json = match[1] !== undefined;
  request.headers["content-type"] = json
    ? "application/grpc-web+json"
    : "application/grpc-web+proto";
  // The decoded body is shorter than the one announced.
  delete request.headers["content-length"];
  decodeRequestBody(request);
  encodeResponseBody(response);
}

/** Makes iterating the request (how connect-node reads a body) yield decoded bytes. */
function decodeRequestBody(request: NodeRequest) {
  const readRaw = request[Symbol.asyncIterator].bind(request);
  Object.defineProperty(request, Symbol.asyncIterator, {
    configurable: true,
    value: async function* decodeBase64Body() {
      const decoder = createBase64Decoder();
      for await (const chunk of { [Symbol.asyncIterator]: readRaw }) {
        const bytes = decoder.push(chunk as Buffer);
        if (bytes.length > 0) {
          yield bytes;
        }
      }
      decoder.end();
    },
  });
}

/**
 * Wraps the response's writeHead, write and end: once its headers say
 * gRPC-Web, the content type gains `-text` and each body chunk goes out
 * base64-encoded.
 */
function encodeResponseBody(response: NodeResponse) {
  // Bound originals keep their own overloads; the wrappers below pass arguments on unchanged.
  const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => unknown;
  const write = response.write.bind(response) as (...args: unknown[]) => boolean;
  const end = response.end.bind(response) as (...args: unknown[]) => unknown;
  let encoding: boolean | undefined;
  const decide = () => {
    if (encoding !== undefined) {
      return encoding;
    }
    const contentType = String(response.getHeader("content-type") ?? "");
    const match = binaryContentType.exec(contentType);
    encoding = match !== null && !response.headersSent;
    if (encoding) {
      const json = match?.[1]?.toLowerCase() === "json";
      response.setHeader(
        "content-type",
        json ? "application/grpc-web-text+json" : "application/grpc-web-text+proto",
      );
      response.removeHeader("content-length");
    }
    return encoding;
  };
  const overrides = {
    writeHead(statusCode: number, ...rest: unknown[]) {
      // Headers given here join those already set, so that decide() sees them all.
      const headers = rest.at(-1);
      const reason = typeof rest[0] === "string" ? [rest[0]] : [];
      if (headers !== undefined && typeof headers === "object" && headers !== null) {
        for (const [name, value] of headerEntries(headers)) {
          response.setHeader(name, value);
        }
      }
      decide();
      return writeHead(statusCode, ...reason);
    },
    write(chunk: unknown, ...rest: unknown[]) {
      if (!decide()) {
        return write(chunk, ...rest);
      }
      const [encodingOrCallback, callback] = rest;
      const textEncoding = typeof encodingOrCallback === "string" ? encodingOrCallback : undefined;
      const done = typeof encodingOrCallback === "function" ? encodingOrCallback : callback;
      return write(toBase64(chunk, textEncoding), "latin1", ...(done === undefined ? [] : [done]));
    },
    end(...args: unknown[]) {
      if (!decide()) {
        return end(...args);
      }
      const [chunk, encodingOrCallback, callback] = args;
      if (typeof chunk === "function" || chunk === undefined || chunk === null) {
        const done = typeof chunk === "function" ? chunk : encodingOrCallback;
        return end(...(typeof done === "function" ? [done] : []));
      }
      const textEncoding = typeof encodingOrCallback === "string" ? encodingOrCallback : undefined;
      const done = typeof encodingOrCallback === "function" ? encodingOrCallback : callback;
      // Not end(chunk): the HTTP/2 response's end() writes its chunk through this.write().
      write(toBase64(chunk, textEncoding), "latin1");
      return end(...(done === undefined ? [] : [done]));
    },
  };
  Object.assign(response, overrides);
}

/** The entries of writeHead's headers: an object, or a flat array of names and values. */
function headerEntries(headers: object): [string, string | number | string[]][] {
  if (!Array.isArray(headers)) {
    return Object.entries(headers).filter(
      (entry): entry is [string, string | number | string[]] => entry[1] !== undefined,
    );
  }
  const entries: [string, string][] = [];
  for (let index = 0; index + 1 < headers.length; index += 2) {
    entries.push([String(headers[index]), String(headers[index + 1])]);
  }
  return entries;
}

function toBase64(chunk: unknown, encoding: string | undefined): string {
  if (typeof chunk === "string") {
    return Buffer.from(chunk, (encoding ?? "utf8") as BufferEncoding).toString("base64");
  }
  return Buffer.from(chunk as Uint8Array).toString("base64");
}
