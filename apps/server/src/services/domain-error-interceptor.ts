import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { DomainError, type DomainErrorKind } from "../domain/errors.js";
import { invalidArgumentError } from "./field-violations.js";

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
 */
export function createDomainErrorInterceptor(logger: ErrorLogger): Interceptor {
  return (next) => async (request) => {
    const map = (error: unknown) => toConnectError(error, logger, request.url);
    let response: Awaited<ReturnType<typeof next>>;
    try {
      response = await next(request);
    } catch (error) {
      throw map(error);
    }
    return response.stream ? { ...response, message: mapErrors(response.message, map) } : response;
  };
}

/** Passes the messages through, turning an error of the stream into `map(error)`. */
async function* mapErrors<T>(messages: AsyncIterable<T>, map: (error: unknown) => ConnectError) {
  try {
    yield* messages;
  } catch (error) {
    throw map(error);
  }
}

function toConnectError(error: unknown, logger: ErrorLogger, url: string): ConnectError {
  if (error instanceof ConnectError) {
    return error;
  }
  if (error instanceof DomainError) {
    if (error.kind === "invalid-argument") {
      return invalidArgumentError([{ field: error.field ?? "", description: error.message }]);
    }
    return new ConnectError(error.message, codeOfKind[error.kind]);
  }
  logger.error({ err: error, url }, "unexpected error in RPC handler");
  return new ConnectError("internal error; the server logged the cause", Code.Internal);
}
