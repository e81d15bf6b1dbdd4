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
 * stack and reaches the caller as Internal without internals.
 */
export function createDomainErrorInterceptor(logger: ErrorLogger): Interceptor {
  return (next) => async (request) => {
    try {
      return await next(request);
    } catch (error) {
      throw toConnectError(error, logger, request.url);
    }
  };
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
