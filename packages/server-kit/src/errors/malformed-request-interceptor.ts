import type { ContextValues, Interceptor } from "@connectrpc/connect";
import { malformedRequestKey } from "../logging/rpc-context-keys.js";
import { malformedRequestError } from "./malformed-request-error.js";

/**
 * A server interceptor for calls whose request is a stream (client, bidi and,
 * as connect-es reads them, server streams): a request message that fails to
 * decode reaches the handler, and from it the caller, log and metrics, as
 * {@link malformedRequestError} has it (InvalidArgument for protobuf that does
 * not parse, not Internal), and the call is marked `malformedRequestKey`.
 * Errors after the call's signal aborted are the abort's, and pass unchanged.
 * List it after the logging and metrics interceptors, so that they see the code.
 */
export function createMalformedRequestInterceptor(): Interceptor {
  return (next) => (req) =>
    req.stream
      ? next({ ...req, message: decoded(req.message, req.signal, req.contextValues) })
      : next(req);
}

async function* decoded<T>(
  messages: AsyncIterable<T>,
  signal: AbortSignal,
  contextValues: ContextValues,
): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    if (signal.aborted) {
      throw error;
    }
    contextValues.set(malformedRequestKey, true);
    throw malformedRequestError(error);
  }
}
