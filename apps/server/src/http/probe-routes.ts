import type { FastifyInstance } from "fastify";

/** Why the server is not ready, or undefined when it is. */
export type ReadinessCheck = () => Promise<string | undefined>;

/**
 * Registers the plain-HTTP probes: `/healthz` (liveness: the process answers)
 * and `/readyz` (readiness: 200 when `checkReadiness` finds nothing wrong, 503
 * with the reason otherwise, for example while draining).
 */
export function registerProbeRoutes(app: FastifyInstance, checkReadiness: ReadinessCheck): void {
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const problem = await checkReadiness();
    if (problem !== undefined) {
      return reply.code(503).send({ status: "not ready", reason: problem });
    }
    return { status: "ready" };
  });
}
