import { Code, ConnectError } from "@connectrpc/connect";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { sendRpcError } from "../errors/send-rpc-error.js";

/**
 * Refuses, before any other hook, a request without a usable authority: an
 * HTTP/1.0 request may leave out `Host` (Node enforces it only for HTTP/1.1),
 * and a `Host` that is not a valid authority cannot make a request URL. Left
 * through, connect-node throws on such a request after the route matched,
 * answers 200 with an empty body and prints the error to stdout. Instead the
 * caller gets InvalidArgument in its own protocol (400 for Connect and plain
 * HTTP) and one warning is logged.
 */
export function refuseRequestsWithoutAuthority(app: FastifyInstance): void {
  app.addHook("onRequest", async (request, reply) => {
    const authority = authorityOf(request);
    if (authority !== undefined && isValidAuthority(authority)) {
      return;
    }
    app.log.warn(
      {
        requestId: request.id,
        peer: request.ip,
        httpVersion: request.raw.httpVersion,
        method: request.method,
        url: request.url,
        host: authority,
      },
      "request refused: no valid Host header",
    );
    const problem = authority === undefined ? "has no Host header" : "has an invalid Host header";
    return sendRpcError(
      request,
      reply,
      new ConnectError(
        `the request ${problem}: send \`Host: <host>:<port>\` (HTTP/1.0 clients must send it too)`,
        Code.InvalidArgument,
      ),
    );
  });
}

/** The authority connect-node builds the request URL from: `:authority` (HTTP/2) or `Host`. */
function authorityOf(request: FastifyRequest): string | undefined {
  const raw = request.raw as FastifyRequest["raw"] & { authority?: string };
  return "authority" in raw ? raw.authority : raw.headers.host;
}

function isValidAuthority(authority: string): boolean {
  if (authority === "") {
    return false;
  }
  try {
    return new URL(`http://${authority}`).host !== "";
  } catch {
    return false;
  }
}
