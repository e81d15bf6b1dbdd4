import { Counter, type Registry } from "prom-client";

/** Access-control counters. */
export interface AccessMetrics {
  /** Calls refused by a rate limit, by why and by the kind of principal. */
  rateLimited: Counter<"reason" | "principal_kind">;
}

/** Registers the access-control metrics. */
export function registerAccessMetrics(registry: Registry): AccessMetrics {
  return {
    rateLimited: new Counter({
      name: "sherpa_rate_limited_total",
      help: "Calls refused with ResourceExhausted by a rate limit: reason rate (per principal) or auth_failures (per peer address).",
      labelNames: ["reason", "principal_kind"],
      registers: [registry],
    }),
  };
}
