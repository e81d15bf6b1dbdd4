import http from "node:http";
import http2 from "node:http2";
import type { Socket } from "node:net";

/** The connection preface every HTTP/2 client sends first (RFC 9113, section 3.4). */
const http2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** Options of {@link createH2cListener}. */
export interface H2cListenerOptions {
  /** Most concurrent HTTP/2 streams one client connection may open. */
  maxConcurrentStreams?: number;
  /** A new connection that sends no complete first bytes within this time is closed. */
  firstBytesTimeoutMs?: number;
}

/** The listener, and a way to send GOAWAY to every open HTTP/2 session. */
export interface H2cListener {
  /** The server Fastify manages: it listens, closes and carries HTTP/1.1 upgrades. */
  server: http.Server;
  /** Sends GOAWAY on every HTTP/2 session: in-flight streams finish, no new ones start. */
  closeHttp2Sessions(): void;
}

/**
 * Creates one listener serving HTTP/1.1 and cleartext HTTP/2 with prior
 * knowledge (h2c) on the same port, which Node has no built-in for. Each new
 * connection is sniffed: if its first bytes are the HTTP/2 preface it goes to
 * an HTTP/2 server, otherwise to the HTTP/1.1 server's own connection handling.
 * Both call the same handler.
 */
export function createH2cListener(
  handler: http.RequestListener,
  options: H2cListenerOptions = {},
): H2cListener {
  const http1Server = http.createServer(handler);
  // Fastify's handler is typed for HTTP/1.1 but serves HTTP/2 through Node's
  // compatibility API, which mirrors IncomingMessage and ServerResponse.
  const http2Handler = handler as unknown as (
    request: http2.Http2ServerRequest,
    response: http2.Http2ServerResponse,
  ) => void;
  const http2Server = http2.createServer(
    { settings: { maxConcurrentStreams: options.maxConcurrentStreams ?? 100 } },
    http2Handler,
  );
  const sessions = new Set<http2.ServerHttp2Session>();
  http2Server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });

  const http1ConnectionListeners = http1Server.listeners("connection") as ((
    socket: Socket,
  ) => void)[];
  http1Server.removeAllListeners("connection");
  http1Server.on("connection", (socket: Socket) => {
    sniffProtocol(socket, options.firstBytesTimeoutMs ?? 10_000, (isHttp2) => {
      if (isHttp2) {
        http2Server.emit("connection", socket);
      } else {
        for (const listener of http1ConnectionListeners) {
          listener.call(http1Server, socket);
        }
        // The HTTP/1.1 parser reads the bytes put back only once the socket flows again.
        socket.resume();
      }
    });
  });

  return {
    server: http1Server,
    closeHttp2Sessions() {
      for (const session of sessions) {
        session.close();
      }
    },
  };
}

/**
 * Reads until the first bytes tell HTTP/2 from HTTP/1.1, then puts them back
 * so that the chosen server sees the connection from its first byte.
 */
function sniffProtocol(socket: Socket, timeoutMs: number, route: (isHttp2: boolean) => void) {
  let received = Buffer.alloc(0);
  const onTimeout = () => socket.destroy();
  // Until a server owns the socket, a reset by the peer must not become an uncaught error.
  const onError = () => socket.destroy();
  socket.setTimeout(timeoutMs, onTimeout);
  socket.on("error", onError);
  const onData = (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    const compared = Math.min(received.length, http2Preface.length);
    const isHttp2 = received.subarray(0, compared).equals(http2Preface.subarray(0, compared));
    if (isHttp2 && received.length < http2Preface.length) {
      return;
    }
    socket.removeListener("data", onData);
    socket.removeListener("error", onError);
    socket.removeListener("timeout", onTimeout);
    socket.setTimeout(0);
    socket.pause();
    socket.unshift(received);
    route(isHttp2);
  };
  socket.on("data", onData);
}
