import type { DescService } from "@bufbuild/protobuf";
import {
  type CallOptions,
  type Client,
  Code,
  ConnectError,
  createClient,
  type Transport,
} from "@connectrpc/connect";

type StreamingCall = (request: unknown, options?: CallOptions) => AsyncIterable<unknown>;

/**
 * Like connect-es's `createClient`, except that a server or bidi stream is
 * cancelled as soon as its caller stops reading it: `break`, `return` or a
 * `throw` out of `for await`. connect-es hands out stream iterators without a
 * `return()`, so such a call would run on, and the server would keep serving a
 * stream nobody reads until the connection closes (with HTTP/1.1 keep-alive,
 * for as long as the process lives). A signal in the call options still
 * cancels the call as well.
 */
export function createCancellingClient<T extends DescService>(
  service: T,
  transport: Transport,
): Client<T> {
  const client = createClient(service, transport);
  const methods = client as unknown as Record<string, StreamingCall>;
  for (const method of service.methods) {
    if (method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming") {
      const call = methods[method.localName] as StreamingCall;
      methods[method.localName] = (request, options) =>
        cancelledWhenAbandoned((signal) => call(request, { ...options, signal }), options?.signal);
    }
  }
  return client;
}

/**
 * Starts the call with a signal of its own, aborted by `callerSignal` and by
 * the caller leaving the loop; once the stream has ended, neither matters.
 */
function cancelledWhenAbandoned<T>(
  start: (signal: AbortSignal) => AsyncIterable<T>,
  callerSignal: AbortSignal | undefined,
): AsyncIterable<T> {
  const controller = new AbortController();
  const forwardAbort = () => controller.abort(callerSignal?.reason);
  if (callerSignal?.aborted) {
    forwardAbort();
  }
  callerSignal?.addEventListener("abort", forwardAbort);
  const stopForwarding = () => callerSignal?.removeEventListener("abort", forwardAbort);
  const messages = start(controller.signal)[Symbol.asyncIterator]();
  return {
    [Symbol.asyncIterator]: () => ({
      async next() {
        try {
          const result = await messages.next();
          if (result.done === true) {
            stopForwarding();
          }
          return result;
        } catch (error) {
          stopForwarding();
          throw error;
        }
      },
      async return(value?: unknown) {
        stopForwarding();
        controller.abort(new ConnectError("the caller stopped reading the stream", Code.Canceled));
        return { done: true, value };
      },
    }),
  };
}
