import type { FastifyInstance } from "fastify";
import type { Registry } from "prom-client";

/** Registers `GET /metrics` serving the registry in the Prometheus text format. */
export function registerMetricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get("/metrics", async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
