/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Tokens added to each bucket per second. */
  ratePerSecond: number;
  /** Size of each bucket: the most calls allowed at once after a quiet time. */
  burst: number;
  now: () => number;
  /** Most buckets kept; the fullest are forgotten first (a full bucket equals a new one). */
  maxKeys?: number;
}

/** Token buckets, one per key (a principal, or a peer address). */
export interface RateLimiter {
  /** Takes a token from the key's bucket: 0 when allowed, else milliseconds until one is free. */
  take(key: string): number;
  /** Like `take`, but takes nothing. */
  peek(key: string): number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Creates a token-bucket rate limiter. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const buckets = new Map<string, Bucket>();
  const maxKeys = options.maxKeys ?? 10_000;
  const refill = (key: string): Bucket => {
    const nowMs = options.now();
    const bucket = buckets.get(key) ?? { tokens: options.burst, updatedMs: nowMs };
    const added = ((nowMs - bucket.updatedMs) / 1000) * options.ratePerSecond;
    bucket.tokens = Math.min(options.burst, bucket.tokens + added);
    bucket.updatedMs = nowMs;
    return bucket;
  };
  const waitMs = (bucket: Bucket) =>
    bucket.tokens >= 1 ? 0 : Math.ceil(((1 - bucket.tokens) / options.ratePerSecond) * 1000);
  return {
    take(key) {
      const bucket = refill(key);
      const wait = waitMs(bucket);
      if (wait === 0) {
        bucket.tokens -= 1;
        buckets.set(key, bucket);
        if (buckets.size > maxKeys) {
          forgetFullest(buckets, options.burst);
        }
      }
      return wait;
    },
    peek(key) {
      return buckets.has(key) ? waitMs(refill(key)) : 0;
    },
  };
}

function forgetFullest(buckets: Map<string, Bucket>, burst: number) {
  for (const [key, bucket] of buckets) {
    if (bucket.tokens >= burst - 1) {
      buckets.delete(key);
    }
  }
}
