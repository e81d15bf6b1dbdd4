import type http from "node:http";
import type http2 from "node:http2";
import type { Readable } from "node:stream";

/**
 * Lets a client finish its upload when the handler answered before reading
 * the whole request body, as connect-node does when a message is over
 * `readMaxBytes`: it stops reading the request, and Node keeps the connection
 * (HTTP/1.1) or stream (HTTP/2) paused by backpressure, so a client that is
 * still sending never gets to read its response. Once the response is sent,
 * the rest of the body is read and dropped. Closing the connection or
 * resetting the stream instead would race with the client reusing the
 * connection or with response data still queued; the server's timeouts bound
 * an endless upload. Call it for every request, before the response ends.
 */
export function releaseUnreadRequestBody(
  request: http.IncomingMessage | http2.Http2ServerRequest,
  response: http.ServerResponse | http2.Http2ServerResponse,
): void {
  if ("stream" in request) {
    const { stream } = request;
    // The compatibility response finishes only when its stream closes; the
    // stream's writable side finishes once the response has been handed over.
    stream.once("finish", () => drainUnless(stream, () => stream.readableEnded || stream.closed));
    return;
  }
  const socket = request.socket;
  response.once("finish", () => drainUnless(socket, () => request.complete));
}

/** Reads `source` and drops what it reads until `isDone()`. */
function drainUnless(source: Readable, isDone: () => boolean) {
  // The common case: the handler read the whole request.
  if (isDone()) {
    return;
  }
  // Whoever stopped reading still pauses the source after each chunk it refuses.
  const onPause = () => setImmediate(drainOnce);
  const drainOnce = () => {
    if (isDone() || source.destroyed) {
      source.off("pause", onPause);
    } else {
      source.resume();
    }
  };
  source.on("pause", onPause);
  drainOnce();
}
