import type { FastifyInstance } from "fastify";

/**
 * Answers requests for paths no route serves in the caller's own protocol: a
 * gRPC or gRPC-Web call gets a trailers-only response with grpc-status 12
 * (UNIMPLEMENTED), as gRPC servers do, instead of a bare HTTP 404 that some
 * clients report as a transport failure; anything else gets a Connect-style
 * 404 with code "unimplemented".
 */
export function registerUnknownRouteHandler(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    const message = `${request.method} ${request.url.split("?")[0]} is not a Sherpa method or route`;
    const contentType = request.headers["content-type"] ?? "";
    const status = { "grpc-status": "12", "grpc-message": encodeURIComponent(message) };
    if (contentType.startsWith("application/grpc-web")) {
      // gRPC-Web reads a trailers-only status from the response headers.
      return reply.code(200).header("content-type", contentType).headers(status).send();
    }
    if (contentType.startsWith("application/grpc")) {
      // gRPC over HTTP/2 reads the status from trailers.
      reply.hijack();
      reply.raw.writeHead(200, { "content-type": contentType });
      reply.raw.addTrailers(status);
      reply.raw.end();
      return reply;
    }
    return reply.code(404).send({ code: "unimplemented", message });
  });
}
