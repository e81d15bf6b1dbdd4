import type { Interceptor } from "@connectrpc/connect";

/**
 * Creates an interceptor that adds `headers` to every request. A header the
 * call already carries (from its own `headers` option) is left as it is, so
 * per-call headers win over client-wide ones.
 */
export function createHeadersInterceptor(
  headers: ConstructorParameters<typeof Headers>[0],
): Interceptor {
  const clientHeaders = new Headers(headers);
  return (next) => (request) => {
    clientHeaders.forEach((value, name) => {
      if (!request.header.has(name)) {
        request.header.set(name, value);
      }
    });
    return next(request);
  };
}
