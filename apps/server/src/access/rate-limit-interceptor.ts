import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, type Interceptor } from "@connectrpc/connect";
import { RetryInfoSchema } from "@sherpa/proto/google/rpc/error_details_pb.js";
import { reasonedError } from "../services/reasoned-error.js";
import { principalKey } from "./principal-context.js";
import type { RateLimiter } from "./rate-limiter.js";

/** What {@link createRateLimitInterceptor} needs. */
export interface RateLimitDeps {
  /** One bucket per principal. */
  limiter: RateLimiter;
  /** Called for each refused call, for the metrics. */
  onLimited: (kind: string) => void;
}

/**
 * Limits each principal's call rate with a token bucket. A call over the limit
 * gets ResourceExhausted with a google.rpc.RetryInfo detail saying when to try
 * again. The embedded agent, inside the server, is not limited.
 */
export function createRateLimitInterceptor(deps: RateLimitDeps): Interceptor {
  return (next) => async (request) => {
    const principal = request.contextValues.get(principalKey);
    if (principal !== undefined && principal.kind !== "embedded-agent") {
      const waitMs = deps.limiter.take(`${principal.kind}:${principal.id}`);
      if (waitMs > 0) {
        deps.onLimited(principal.kind);
        throw reasonedError(
          `rate limit exceeded for ${principal.subject}; retry in ${waitMs} ms`,
          Code.ResourceExhausted,
          "RATE_LIMITED",
          [{ desc: RetryInfoSchema, value: { retryDelay: durationFromMs(waitMs) } }],
        );
      }
    }
    return next(request);
  };
}
