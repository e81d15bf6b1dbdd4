/** A protobuf Duration, or anything shaped like one. */
export interface DurationLike {
  seconds: bigint;
  nanos: number;
}

/** Longest delay setTimeout honours; it fires longer ones at once. */
const maxTimerDelayMs = 2_147_483_647;

/**
 * Calls `onTimeout` with a reason such as "timed out after 2 s" once `timeout`
 * has passed; an unset or zero timeout never fires. Works for any length
 * (timers are chained past about 24.8 days). Returns the function that clears it.
 */
export function startTaskTimeout(
  timeout: DurationLike | undefined,
  onTimeout: (reason: string) => void,
): () => void {
  const timeoutMs =
    timeout === undefined
      ? 0
      : Number(timeout.seconds) * 1000 + Math.floor(timeout.nanos / 1_000_000);
  if (timeoutMs <= 0) {
    return () => {};
  }
  let timer: NodeJS.Timeout;
  const arm = (remainingMs: number) => {
    timer = setTimeout(
      () =>
        remainingMs > maxTimerDelayMs
          ? arm(remainingMs - maxTimerDelayMs)
          : onTimeout(`timed out after ${formatMs(timeoutMs)}`),
      Math.min(remainingMs, maxTimerDelayMs),
    );
  };
  arm(timeoutMs);
  return () => clearTimeout(timer);
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(3))} s`;
}
