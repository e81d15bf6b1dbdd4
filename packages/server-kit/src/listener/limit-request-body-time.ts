import type http from "node:http";
import http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;

/** When a request body must have arrived by; see {@link limitRequestBodyTime}. */
export interface RequestBodyTimeLimit {
  /** Time the body has, from the request's headers; above 0. */
  timeoutMs: number;
  /**
   * Whether the body may stay open as long as the call (client-streaming and
   * bidi RPCs): then the time starts only once the answer is sent.
   */
  untimed: boolean;
}

/**
 * Bounds the time a request body takes to arrive, so that a client trickling
 * it cannot hold a call (and its memory) open: when the time is up, a reader
 * iterating the request (as connect-node does) gets DeadlineExceeded, which
 * the RPC answers in the caller's protocol; a request nobody reads that way
 * gets 408. Once that answer is sent the HTTP/2 stream is reset with NO_ERROR
 * (RFC 9113, section 8.1) or the HTTP/1.1 connection closed, since the rest of
 * the body will not be read. An untimed request's time starts only once its
 * answer is sent, which bounds the dropping of a body the answer left unread.
 */
export function limitRequestBodyTime(
  request: NodeRequest,
  response: NodeResponse,
  limit: RequestBodyTimeLimit,
): void {
  let timedOut = false;
  let readerStarted = false;
  let failReader: (error: ConnectError) => void = () => {};
  const readerFailure = new Promise<never>((_resolve, reject) => {
    failReader = reject;
  });
  // Rejected only when the time is up, and then perhaps with no reader waiting.
  readerFailure.catch(() => {});
  if (!limit.untimed) {
    wrapReader(request, readerFailure, () => {
      readerStarted = true;
    });
  }

  const onTimeout = () => {
    if (bodyEnded(request)) {
      // Received in full, only not read (yet): not a slow client.
      return;
    }
    timedOut = true;
    const seconds = limit.timeoutMs / 1000;
    failReader(
      new ConnectError(
        `the request body did not arrive within ${seconds} s of its headers`,
        Code.DeadlineExceeded,
      ),
    );
    if (answered(request, response)) {
      closeTransport(request);
      return;
    }
    if (!("stream" in response) && !response.headersSent) {
      response.setHeader("connection", "close");
    }
    afterAnswer(request, response, () => closeTransport(request));
    if (!readerStarted && !response.headersSent) {
      response.writeHead(408, { "content-type": "text/plain" });
      response.end("request body timeout\n");
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const start = () => {
    if (!bodyEnded(request) && !timedOut) {
      timer = setTimeout(onTimeout, limit.timeoutMs);
    }
  };
  const stop = () => clearTimeout(timer);
  request.once("end", stop);
  request.once("close", stop);
  response.once("close", stop);
  if (limit.untimed) {
    afterAnswer(request, response, start);
  } else {
    start();
  }
}

/** Makes iterating the request fail once `failure` rejects. */
function wrapReader(request: NodeRequest, failure: Promise<never>, onStart: () => void) {
  const readRaw = request[Symbol.asyncIterator].bind(request);
  Object.defineProperty(request, Symbol.asyncIterator, {
    configurable: true,
    value: (): AsyncIterator<unknown> => {
      onStart();
      const raw = readRaw();
      // Not raw.return() on failure: that would destroy the stream before the answer is sent.
      return {
        next: () => Promise.race([raw.next(), failure]),
        return: (value?: unknown) =>
          raw.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
      };
    },
  });
}

function bodyEnded(request: NodeRequest): boolean {
  const endedWithHeaders = "stream" in request && request.stream.endAfterHeaders;
  return endedWithHeaders || request.complete || request.readableEnded;
}

/** Whether the whole answer, trailers included, has been handed over. */
function answered(request: NodeRequest, response: NodeResponse): boolean {
  return "stream" in request
    ? request.stream.sentTrailers !== undefined
    : response.writableFinished;
}

/** Calls `then` once the whole answer, trailers included, has been handed over. */
function afterAnswer(request: NodeRequest, response: NodeResponse, then: () => void) {
  if ("stream" in request) {
    // The compatibility API always ends a response with trailers (perhaps none), sent by
    // its own listener, which runs before this one. A reset any earlier would drop them.
    request.stream.once("wantTrailers", () => setImmediate(then));
  } else {
    response.once("finish", then);
  }
}

function closeTransport(request: NodeRequest) {
  if ("stream" in request) {
    request.stream.close(http2.constants.NGHTTP2_NO_ERROR);
  } else {
    request.socket.destroySoon();
  }
}
