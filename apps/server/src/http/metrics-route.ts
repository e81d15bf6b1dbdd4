import type { FastifyInstance, preValidationAsyncHookHandler } from "fastify";
import type { Registry } from "prom-client";

/**
 * Registers `GET /metrics` serving the registry in the Prometheus text format,
 * behind `authorize` when given (the main port needs a metrics.read credential;
 * the separate metrics port, meant for a private address, needs none).
 */
export function registerMetricsRoute(
  app: FastifyInstance,
  registry: Registry,
  authorize?: preValidationAsyncHookHandler,
): void {
  app.get("/metrics", { preValidation: authorize }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
