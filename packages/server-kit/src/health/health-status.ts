import { HealthCheckResponse_ServingStatus as ServingStatus } from "@sherpa/proto/grpc/health/v1/health_pb.js";

/**
 * The serving statuses reported by `grpc.health.v1.Health`: one for the whole
 * server (the empty service name) and one per named service.
 */
export interface HealthStatus {
  /**
   * True once close() was called: every watch has ended and new ones end at once.
   */
  readonly closed: boolean;
  /**
   * The status of a service ("" is the whole server), or undefined when the
   * service is not one of those this owner was created with.
   */
  get(service: string): ServingStatus | undefined;
  /**
   * Set the status of one service ("" is the whole server). Watchers see the
   * change. Throws for a service this owner was not created with, so a typo
   * fails loudly instead of reporting a service nobody serves.
   */
  set(service: string, status: ServingStatus): void;
  /**
   * Set the status of the whole server and of every service, e.g. SERVING once
   * storage is ready and NOT_SERVING while draining.
   */
  setAll(status: ServingStatus): void;
  /**
   * A snapshot of every status, keyed by service name ("" is the whole server).
   */
  list(): ReadonlyMap<string, ServingStatus>;
  /**
   * Watch one service: yields its current status first, then each change. An
   * unknown service yields SERVICE_UNKNOWN once and stays open. The iteration
   * ends, releasing its listeners, when the signal aborts or close() is called.
   */
  watch(service: string, signal: AbortSignal): AsyncIterable<ServingStatus>;
  /**
   * End every watch, now and later; used when long streams must end at shutdown.
   * Statuses stay readable.
   */
  close(): void;
}

interface Watcher {
  readonly service: string;
  wake(): void;
}

/**
 * Create the owner of serving statuses for "" (the whole server) and each of
 * the given fully-qualified service names, all NOT_SERVING until set.
 */
export function createHealthStatus(serviceNames: string[]): HealthStatus {
  const statuses = new Map<string, ServingStatus>(
    ["", ...serviceNames].map((name) => [name, ServingStatus.NOT_SERVING]),
  );
  const watchers = new Set<Watcher>();
  let closed = false;

  function update(service: string, status: ServingStatus): void {
    if (statuses.get(service) === status) {
      return;
    }
    statuses.set(service, status);
    for (const watcher of watchers) {
      if (watcher.service === service) {
        watcher.wake();
      }
    }
  }

  async function* watch(service: string, signal: AbortSignal): AsyncGenerator<ServingStatus> {
    let resolveWait = () => {};
    const watcher: Watcher = { service, wake: () => resolveWait() };
    watchers.add(watcher);
    signal.addEventListener("abort", watcher.wake);
    try {
      let sent: ServingStatus | undefined;
      while (!closed && !signal.aborted) {
        // A watcher that falls behind gets the latest status rather than every
        // intermediate one, so a slow client cannot make us buffer without bound.
        const current = statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN;
        if (current !== sent) {
          sent = current;
          yield current;
          continue;
        }
        await new Promise<void>((resolve) => {
          resolveWait = resolve;
        });
      }
    } finally {
      watchers.delete(watcher);
      signal.removeEventListener("abort", watcher.wake);
    }
  }

  return {
    get closed() {
      return closed;
    },
    get(service) {
      return statuses.get(service);
    },
    set(service, status) {
      if (!statuses.has(service)) {
        throw new Error(
          `health: cannot set the status of unknown service "${service}"; known: ${[...statuses.keys()].map((name) => JSON.stringify(name)).join(", ")}`,
        );
      }
      update(service, status);
    },
    setAll(status) {
      for (const service of statuses.keys()) {
        update(service, status);
      }
    },
    list() {
      return new Map(statuses);
    },
    watch,
    close() {
      closed = true;
      for (const watcher of watchers) {
        watcher.wake();
      }
    },
  };
}
