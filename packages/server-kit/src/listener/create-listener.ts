import http from "node:http";
import http2 from "node:http2";
import type { Socket } from "node:net";
import tls from "node:tls";
import { limitRequestBodyTime } from "./limit-request-body-time.js";
import { releaseUnreadRequestBody } from "./release-unread-request-body.js";

/** The connection preface every HTTP/2 client sends first (RFC 9113, section 3.4). */
const http2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** TLS settings: PEM text, not paths. */
export interface ListenerTlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  /** CA of client certificates; when set, every client must present one it signed (mTLS). */
  clientCa?: string | Buffer | undefined;
}

/** Options of {@link createListener}; every one has a finite default. */
export interface ListenerOptions {
  /**
   * Serve TLS with ALPN h2 and http/1.1 instead of cleartext HTTP/1.1 + h2c.
   * Cleartext unless set.
   */
  tls?: ListenerTlsOptions | undefined;
  /** Most concurrent HTTP/2 streams one client connection may open; 100 unless set. */
  maxConcurrentStreams?: number;
  /**
   * A new connection that has not shown its protocol (or finished TLS) within
   * this time is closed; 10 000 ms unless set.
   */
  firstBytesTimeoutMs?: number;
  /**
   * An HTTP/1.1 request whose headers take longer than this to arrive gets 408
   * and is closed; 10 000 ms unless set.
   */
  headersTimeoutMs?: number;
  /**
   * An HTTP/1.1 request that takes longer than this to arrive completely gets
   * 408; 0 disables. 300 000 ms unless set.
   */
  requestTimeoutMs?: number;
  /**
   * An HTTP/2 session or HTTP/1.1 keep-alive connection idle this long is
   * closed; 60 000 ms unless set.
   */
  idleTimeoutMs?: number;
  /**
   * A request body that has not arrived completely this long after its
   * headers ends the call: its RPC gets DeadlineExceeded (anything else 408),
   * then the HTTP/2 stream is reset or the HTTP/1.1 connection closed. Paths
   * in `untimedBodyPaths` are exempt until their answer is sent. 0 disables;
   * 30 000 ms unless set.
   */
  bodyTimeoutMs?: number;
  /**
   * Paths whose request body may stay open for as long as the call:
   * client-streaming and bidi RPCs (see `streamingRequestPaths`). None unless set.
   */
  untimedBodyPaths?: ReadonlySet<string>;
}

/** The listener, and a way to wind its connections down. */
export interface Listener {
  /** The server Fastify manages: it listens, closes and carries HTTP/1.1 upgrades. */
  server: http.Server;
  /**
   * Winds connections down for shutdown: GOAWAY on every HTTP/2 session
   * (in-flight streams finish, no new ones start), every HTTP/1.1
   * keep-alive connection is closed as soon as it has no request in flight,
   * and a connection that has not yet shown its protocol is closed at once.
   */
  beginClosing(): void;
}

/**
 * Creates one listener serving HTTP/1.1 and HTTP/2 on the same port, which Node
 * has no built-in for in cleartext. Without TLS, each new connection is sniffed:
 * the HTTP/2 preface (h2c with prior knowledge) sends it to an HTTP/2 server,
 * anything else to the HTTP/1.1 server. With TLS, the protocol agreed by ALPN
 * decides. Both servers call the same handler. A request body the answer left
 * unread (a message over the size limit) is drained once the answer is sent,
 * so that a client still uploading can read it; a body that takes longer than
 * `bodyTimeoutMs` to arrive ends its call (see {@link limitRequestBodyTime}).
 */
export function createListener(
  handler: http.RequestListener,
  options: ListenerOptions = {},
): Listener {
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  const limitBodyTime = bodyTimeLimiter(options);
  // Node enforces the headers timeout only when it checks connections, every 30 s by default.
  const http1Server = http.createServer(
    { connectionsCheckingInterval: Math.max(100, Math.min(1000, headersTimeoutMs / 2)) },
    (request, response) => {
      releaseUnreadRequestBody(request, response);
      limitBodyTime(request, response);
      handler(request, response);
    },
  );
  http1Server.headersTimeout = headersTimeoutMs;
  http1Server.requestTimeout = options.requestTimeoutMs ?? 300_000;
  http1Server.keepAliveTimeout = options.idleTimeoutMs ?? 60_000;
  // Fastify's handler is typed for HTTP/1.1 but serves HTTP/2 through Node's
  // compatibility API, which mirrors IncomingMessage and ServerResponse.
  const http2Handler = handler as unknown as (
    request: http2.Http2ServerRequest,
    response: http2.Http2ServerResponse,
  ) => void;
  const http2Server = http2.createServer(
    { settings: { maxConcurrentStreams: options.maxConcurrentStreams ?? 100 } },
    (request, response) => {
      releaseUnreadRequestBody(request, response);
      limitBodyTime(request, response);
      http2Handler(request, response);
    },
  );
  http2Server.setTimeout(options.idleTimeoutMs ?? 60_000);
  const sessions = new Set<http2.ServerHttp2Session>();
  http2Server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });

  const http1ConnectionListeners = http1Server.listeners("connection") as ((
    socket: Socket,
  ) => void)[];
  const route = (socket: Socket, isHttp2: boolean) => {
    if (isHttp2) {
      // The HTTP/1.1 server accepted the socket half-open; HTTP/2 must see a peer that
      // vanishes (no GOAWAY) as closed, or its session and calls would stay open forever.
      socket.allowHalfOpen = false;
      http2Server.emit("connection", socket);
      return;
    }
    for (const listener of http1ConnectionListeners) {
      listener.call(http1Server, socket);
    }
    // The HTTP/1.1 parser reads bytes put back by sniffing only once the socket flows again.
    socket.resume();
  };
  const firstBytesTimeoutMs = options.firstBytesTimeoutMs ?? 10_000;
  // Connections no server owns yet (protocol not shown, TLS not finished): closing ends
  // them itself, or close() waits for their timeout.
  const unclaimed = new Map<string, Socket>();
  const trackUntilClaimed = (socket: Socket) => {
    const key = connectionKey(socket);
    unclaimed.set(key, socket);
    socket.once("close", () => {
      if (unclaimed.get(key) === socket) {
        unclaimed.delete(key);
      }
    });
  };
  http1Server.removeAllListeners("connection");
  if (options.tls === undefined) {
    http1Server.on("connection", (socket: Socket) => {
      trackUntilClaimed(socket);
      sniffProtocol(socket, firstBytesTimeoutMs, (isHttp2) => {
        unclaimed.delete(connectionKey(socket));
        route(socket, isHttp2);
      });
    });
  } else {
    const tlsServer = createTlsServer(options.tls, firstBytesTimeoutMs);
    tlsServer.on("secureConnection", (socket: tls.TLSSocket) => {
      unclaimed.delete(connectionKey(socket));
      socket.setTimeout(0);
      // Half-open again, as the HTTP/1.1 server accepts its sockets.
      socket.allowHalfOpen = true;
      route(socket, socket.alpnProtocol === "h2");
    });
    http1Server.on("connection", (socket: Socket) => {
      trackUntilClaimed(socket);
      // The TLS socket copies this: a peer that hangs up mid-handshake (or before it, as
      // a TCP probe does) must close it, not leave it in CLOSE-WAIT.
      socket.allowHalfOpen = false;
      tlsServer.emit("connection", socket);
    });
  }

  let closing = false;
  http1Server.on("request", (_request, response: http.ServerResponse) => {
    response.once("finish", () => {
      if (closing) {
        setImmediate(() => http1Server.closeIdleConnections());
      }
    });
  });
  return {
    server: http1Server,
    beginClosing() {
      closing = true;
      for (const socket of unclaimed.values()) {
        socket.destroy();
      }
      http1Server.closeIdleConnections();
      for (const session of sessions) {
        session.close();
      }
    },
  };
}

/** Applies {@link limitRequestBodyTime} to each request as the options say. */
function bodyTimeLimiter(options: ListenerOptions) {
  const timeoutMs = options.bodyTimeoutMs ?? 30_000;
  const untimedPaths = options.untimedBodyPaths ?? new Set<string>();
  return (
    request: http.IncomingMessage | http2.Http2ServerRequest,
    response: http.ServerResponse | http2.Http2ServerResponse,
  ) => {
    if (timeoutMs > 0) {
      const path = (request.url ?? "").split("?")[0] ?? "";
      limitRequestBodyTime(request, response, { timeoutMs, untimed: untimedPaths.has(path) });
    }
  };
}

/** Names a connection by its two ends, as its raw and TLS sockets both report them. */
function connectionKey(socket: Socket): string {
  return `${socket.localAddress}:${socket.localPort}|${socket.remoteAddress}:${socket.remotePort}`;
}

function createTlsServer(options: ListenerTlsOptions, handshakeTimeoutMs: number): tls.Server {
  const requireClientCert = options.clientCa !== undefined;
  const server = tls.createServer({
    cert: options.cert,
    key: options.key,
    ALPNProtocols: ["h2", "http/1.1"],
    handshakeTimeout: handshakeTimeoutMs,
    ...(requireClientCert
      ? { ca: options.clientCa, requestCert: true, rejectUnauthorized: true }
      : {}),
  });
  // Node reports a handshake timeout here but leaves the socket open.
  server.on("tlsClientError", (_error, socket) => socket.destroy());
  return server;
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
  // The socket is half-open: a peer that hangs up before speaking (a TCP probe) would
  // leave it in CLOSE-WAIT until the timeout, holding the server's close() up.
  const onEnd = () => socket.destroy();
  socket.setTimeout(timeoutMs, onTimeout);
  socket.on("error", onError);
  socket.once("end", onEnd);
  const onData = (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    const compared = Math.min(received.length, http2Preface.length);
    const isHttp2 = received.subarray(0, compared).equals(http2Preface.subarray(0, compared));
    if (isHttp2 && received.length < http2Preface.length) {
      return;
    }
    socket.removeListener("data", onData);
    socket.removeListener("error", onError);
    socket.removeListener("end", onEnd);
    socket.removeListener("timeout", onTimeout);
    socket.setTimeout(0);
    socket.pause();
    socket.unshift(received);
    route(isHttp2);
  };
  socket.on("data", onData);
}
