import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * Creates a hook that refuses a WebSocket upgrade (403, before any frame) when
 * the request comes from a web page whose origin is not allowed. Browsers do
 * not apply CORS to WebSockets, so without this any page could read task logs
 * through a user's browser. Allowed: requests without an `Origin` header
 * (tools and programs; browsers always send one), the origins listed in
 * SHERPA_CORS_ORIGINS (or any with `*`), and pages served by this same host.
 */
export function rejectForeignOrigins(allowedOrigins: readonly string[]) {
  const allowAny = allowedOrigins.includes("*");
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (origin === undefined || allowAny || allowedOrigins.includes(origin)) {
      return;
    }
    if (origin === `${request.protocol}://${request.headers.host}`) {
      return;
    }
    await reply.code(403).send({
      code: "permission_denied",
      message: `origin ${origin} may not open WebSockets here; add it to SHERPA_CORS_ORIGINS to allow it`,
    });
  };
}
