import {
  Code,
  ConnectError,
  type ConnectRouter,
  createContextKey,
  type HandlerContext,
  type Interceptor,
  type StreamRequest,
} from "@connectrpc/connect";
import type {
  UniversalHandler,
  UniversalServerRequest,
  UniversalServerResponse,
} from "@connectrpc/connect/protocol";
import { abortedCallError } from "../errors/aborted-call-error.js";
import { malformedRequestError } from "../errors/malformed-request-error.js";
import { rejectionResponse } from "../errors/rejection-response.js";
import { malformedRequestKey } from "../logging/rpc-context-keys.js";
import { wrapRouteHandlers } from "./wrap-route-handlers.js";

/** The call's HandlerContext, kept by {@link rememberCallContext}. */
const callContextKey = createContextKey<HandlerContext | undefined>(undefined, {
  description: "the HandlerContext of the call",
});
/** Set once the call has entered the interceptors. */
const interceptedKey = createContextKey(false, {
  description: "the call reached the interceptors",
});

/**
 * A connect-es `requestGate` (it runs for every call, before the request body
 * is read) that keeps the call's context for {@link observeRejectedCalls}.
 */
export function rememberCallContext(context: HandlerContext): void {
  context.values.set(callContextKey, context);
}

/** An interceptor that notes that the call reached the interceptors; list it first. */
export const markIntercepted: Interceptor = (next) => (req) => {
  req.contextValues.set(interceptedKey, true);
  return next(req);
};

/**
 * Wraps connect-fastify's `routes` so that a unary call connect-es rejects
 * before any interceptor runs (a deadline over the cap or unparseable, a
 * message over the size limit, an unknown encoding, a message that does not
 * decode, the client leaving while it sent the message) still passes through
 * `observers` (the logging and metrics interceptors: one log line, counted in
 * grpc_server_handled_total, its request id echoed), and so that a message
 * that does not decode is answered InvalidArgument rather than Internal (see
 * `malformedRequestError`). Needs {@link rememberCallContext} as the request
 * gate and {@link markIntercepted} first among the interceptors.
 */
export function observeRejectedCalls(
  observers: readonly Interceptor[],
  routes: (router: ConnectRouter) => void,
): (router: ConnectRouter) => void {
  return wrapRouteHandlers(routes, (handler) => observingRejections(handler, observers));
}

function observingRejections(handler: UniversalHandler, observers: readonly Interceptor[]) {
  return async (request: UniversalServerRequest): Promise<UniversalServerResponse> => {
    const response = await handler(request);
    const values = request.contextValues;
    const context = values?.get(callContextKey);
    if (context === undefined || values?.get(interceptedKey) || !context.signal.aborted) {
      return response;
    }
    const { rejection, answerChanged } = rejectionOf(context, request.signal);
    if (!request.signal.aborted && context.signal.reason instanceof ConnectError) {
      // connect-es's own refusal of the request, before anything of the server's ran.
      context.values.set(malformedRequestKey, true);
    }
    const observed = await observe(observers, context, rejection);
    const answered = answerChanged
      ? rejectionResponse(context.protocolName, response, observed)
      : response;
    for (const [name, value] of observed.metadata) {
      answered.header?.set(name, value);
    }
    return answered;
  };
}

/**
 * What the rejected call ended with: Canceled and the like when the client
 * left first, the error connect-es rejected it with (InvalidArgument for one
 * that failed to decode, which changes the answer), or Internal for an error
 * that is not a ConnectError, as connect-es answered it.
 */
function rejectionOf(
  context: HandlerContext,
  requestSignal: AbortSignal,
): { rejection: ConnectError; answerChanged: boolean } {
  const reason: unknown = context.signal.reason;
  if (requestSignal.aborted) {
    return { rejection: abortedCallError(requestSignal), answerChanged: false };
  }
  if (reason instanceof ConnectError) {
    const rejection = malformedRequestError(reason);
    return { rejection, answerChanged: rejection !== reason };
  }
  return {
    rejection: new ConnectError("internal error", Code.Internal, undefined, undefined, reason),
    answerChanged: false,
  };
}

/** Runs the observers over a call that fails with `error`; resolves with the error they pass on. */
async function observe(
  observers: readonly Interceptor[],
  context: HandlerContext,
  error: ConnectError,
): Promise<ConnectError> {
  const fail = async (): Promise<never> => {
    throw error;
  };
  const call = observers.reduceRight<Parameters<Interceptor>[0]>(
    (next, interceptor) => interceptor(next),
    fail,
  );
  // A stream request with no message, so that no request message is counted:
  // none was received. Its method keeps its own kind (unary) for the metrics.
  const request: StreamRequest = {
    stream: true,
    method: context.method as StreamRequest["method"],
    service: context.service,
    requestMethod: context.requestMethod,
    url: context.url,
    header: context.requestHeader,
    contextValues: context.values,
    // The call has already ended; its own signal, aborted by the rejection, would make it Canceled.
    signal: new AbortController().signal,
    message: (async function* () {})(),
  };
  try {
    await call(request);
    return error;
  } catch (passedOn) {
    return passedOn instanceof ConnectError ? passedOn : error;
  }
}
