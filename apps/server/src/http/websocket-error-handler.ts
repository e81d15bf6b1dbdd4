import type { FastifyRequest } from "fastify";
import type { WebSocket } from "ws";

/** Node's codes for a connection the peer dropped. */
const connectionLostCodes = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT"]);

/**
 * @fastify/websocket's `errorHandler`, called when an open socket errs or a
 * WebSocket route throws. A client that breaks the WebSocket protocol
 * (garbage or oversized frames, bad UTF-8: the `WS_ERR_*` codes of ws, which
 * has already answered with a close frame) gets one warning line without a
 * stack, and a dropped connection one info line: neither is the server's
 * fault. Anything else is, and is logged as an error with its stack. The
 * socket is closed in every case.
 */
export function webSocketErrorHandler(
  error: Error,
  socket: WebSocket,
  request: FastifyRequest,
): void {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  if (code.startsWith("WS_ERR_")) {
    request.log.warn({ code, reason: error.message }, "WebSocket client broke the protocol");
  } else if (connectionLostCodes.has(code)) {
    request.log.info({ code }, "WebSocket connection lost");
  } else {
    request.log.error({ err: error }, "WebSocket route failed");
  }
  socket.terminate();
}
