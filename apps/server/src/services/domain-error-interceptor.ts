import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { abortedCallError, requestIdKey } from "@sherpa/server-kit";
import { DomainError, type DomainErrorKind } from "../domain/errors.js";
import { invalidArgumentError } from "./field-violations.js";
import { reasonedError } from "./reasoned-error.js";

/** Where an unexpected error is reported; Fastify's pino logger fits. */
export interface ErrorLogger {
  error(details: object, message: string): void;
}

const codeOfKind: Record<Exclude<DomainErrorKind, "invalid-argument">, Code> = {
  "not-found": Code.NotFound,
  "already-exists": Code.AlreadyExists,
  "failed-precondition": Code.FailedPrecondition,
};

/**
 * The one place where errors become Connect errors: a DomainError gets its
 * code, a ConnectError passes through, and anything else is logged with its
 * stack and reaches the caller as Internal without internals. Streaming
 * handlers fail while their responses are read, so their stream is mapped too.
 *
 * Once the call's signal has aborted, the call ends with the abort's error
 * (DeadlineExceeded, Unavailable, Canceled; see `abortedCallError`), whatever
 * the handler did: a stream that then ends by itself must not reach the caller
 * as a success, and what a handler throws then (a request body cut off when
 * the client left) is the abort's doing, not a fault worth an error line.
 */
export function createDomainErrorInterceptor(logger: ErrorLogger): Interceptor {
  return (next) => async (request) => {
    const map = (error: unknown) =>
      request.signal.aborted
        ? abortedCallError(request.signal)
        : toConnectError(error, logger, request.url, request.contextValues.get(requestIdKey));
    let response: Awaited<ReturnType<typeof next>>;
    try {
      response = await next(request);
    } catch (error) {
      throw map(error);
    }
    if (!response.stream) {
      if (request.signal.aborted) {
        throw abortedCallError(request.signal);
      }
      return response;
    }
    return { ...response, message: mapErrors(response.message, map, request.signal) };
  };
}

/**
 * Passes the messages through, turning an error of the stream into
 * `map(error)`, and an end after the call's signal aborted into the abort's error.
 */
async function* mapErrors<T>(
  messages: AsyncIterable<T>,
  map: (error: unknown) => ConnectError,
  signal: AbortSignal,
) {
  try {
    yield* messages;
  } catch (error) {
    throw map(error);
  }
  if (signal.aborted) {
    throw abortedCallError(signal);
  }
}

function toConnectError(
  error: unknown,
  logger: ErrorLogger,
  url: string,
  requestId: string,
): ConnectError {
  if (error instanceof ConnectError) {
    return error;
  }
  if (error instanceof DomainError) {
    if (error.kind === "invalid-argument") {
      return invalidArgumentError([{ field: error.field ?? "", description: error.message }]);
    }
    return reasonedError(error.message, codeOfKind[error.kind], error.reason);
  }
  // The cause stays in the log, findable by the request id the caller was given.
  logger.error({ err: error, url, reqId: requestId }, "unexpected error in RPC handler");
  return new ConnectError(
    requestId === ""
      ? "internal error; the server logged the cause"
      : `internal error; the server logged the cause with request id ${requestId}`,
    Code.Internal,
  );
}
