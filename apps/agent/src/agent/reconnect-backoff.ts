/** Options of createReconnectBackoff. */
export interface ReconnectBackoffOptions {
  /** Delay before the first retry, before jitter; 250 ms unless set. */
  initialDelayMs?: number;
  /** Longest delay, before jitter; 10 000 ms unless set. */
  maxDelayMs?: number;
  /** Source of randomness in [0, 1); Math.random unless set. */
  random?: () => number;
}

/** Delays between reconnection attempts. */
export interface ReconnectBackoff {
  /** The delay before the next attempt; each call doubles the next one up to the maximum. */
  nextDelayMs(): number;
  /** Starts again from the initial delay (after a successful connection). */
  reset(): void;
}

/**
 * Creates an exponential backoff with jitter: attempt n waits between half and
 * all of min(initial * 2^n, max), so agents that lost the same server do not
 * all come back at the same moment.
 */
export function createReconnectBackoff(options: ReconnectBackoffOptions = {}): ReconnectBackoff {
  const initialDelayMs = options.initialDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const random = options.random ?? Math.random;
  let attempt = 0;
  return {
    nextDelayMs() {
      const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 30));
      attempt++;
      return Math.round(ceiling / 2 + (random() * ceiling) / 2);
    },
    reset() {
      attempt = 0;
    },
  };
}
