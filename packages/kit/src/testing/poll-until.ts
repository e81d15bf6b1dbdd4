import { setTimeout as sleep } from "node:timers/promises";
import { inspect } from "node:util";

/** Options of {@link pollUntil}. */
export interface PollUntilOptions {
  /** What is awaited, for the error message: "task t-1 to end". */
  what: string;
  /** Gives up after this long; 10 000 ms unless set. */
  timeoutMs?: number;
  /** Pause between reads; 50 ms unless set. */
  intervalMs?: number;
}

/**
 * Reads a value again and again until `done` accepts it, and resolves with it.
 * Rejects after the timeout with the last value read, so that a failure shows
 * where things got stuck.
 */
export async function pollUntil<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  options: PollUntilOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) {
      return value;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${options.what}; last read: ${inspect(value, { depth: 4 })}`,
      );
    }
    await sleep(options.intervalMs ?? 50);
  }
}

/**
 * Waits until `condition` holds: {@link pollUntil} for a yes-or-no question,
 * asked every 10 ms unless set.
 */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  options: Omit<PollUntilOptions, "what"> = {},
): Promise<void> {
  await pollUntil(condition, (held) => held, { intervalMs: 10, ...options, what });
}
