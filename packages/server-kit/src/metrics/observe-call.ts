import {
  ConnectError,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { abortedCallError } from "../errors/aborted-call-error.js";

/** The call an interceptor wraps, as connect-es hands it over. */
type Next = Parameters<Interceptor>[0];

/** What a server interceptor wants to hear about one call. */
export interface CallObserver {
  /** Each request message, as the handler reads it. */
  onRequestMessage?(): void;
  /** Each response message, as the framework takes it from the handler. */
  onResponseMessage?(): void;
  /**
   * Called exactly once, when the call ends: `undefined` for success, else the
   * error normalised with `ConnectError.from`. A call also ends when its signal
   * aborts, even if the handler keeps running, with {@link abortedCallError}:
   * DeadlineExceeded, Unavailable (shutdown) or Canceled (client gone).
   */
  onEnd(error: ConnectError | undefined): void;
  /** Replaces an error on its way to the caller, for example to add metadata. */
  mapError?(error: unknown): unknown;
}

/**
 * Runs `next` for a server call and reports its messages and its end to the
 * observer, whatever the method kind: for streaming responses the outcome is
 * only known once the response stream is drained, fails, or is abandoned.
 */
export async function observeCall(
  next: Next,
  req: UnaryRequest | StreamRequest,
  observer: CallObserver,
): Promise<UnaryResponse | StreamResponse> {
  let ended = false;
  const end = (error: ConnectError | undefined) => {
    if (ended) {
      return;
    }
    ended = true;
    req.signal.removeEventListener("abort", onAbort);
    observer.onEnd(error);
  };
  const onAbort = () => end(abortedCallError(req.signal));
  const fail = (error: unknown) => {
    end(ConnectError.from(error));
    return observer.mapError ? observer.mapError(error) : error;
  };
  // Messages that arrive or leave after the end are not part of the call any more.
  const countRequest = () => {
    if (!ended) {
      observer.onRequestMessage?.();
    }
  };
  const countResponse = () => {
    if (!ended) {
      observer.onResponseMessage?.();
    }
  };

  req.signal.addEventListener("abort", onAbort);
  if (req.signal.aborted) {
    onAbort();
  }
  if (!req.stream) {
    countRequest();
  }
  let res: UnaryResponse | StreamResponse;
  try {
    res = await next(req.stream ? { ...req, message: tap(req.message, countRequest) } : req);
  } catch (error) {
    throw fail(error);
  }
  if (res.stream) {
    return { ...res, message: observeResponse(res.message) };
  }
  countResponse();
  end(undefined);
  return res;

  async function* observeResponse<T>(messages: AsyncIterable<T>): AsyncIterable<T> {
    try {
      for await (const message of messages) {
        countResponse();
        yield message;
      }
      end(undefined);
    } catch (error) {
      throw fail(error);
    } finally {
      // Reached without an outcome when the framework stops reading, which it
      // only does after aborting the call.
      end(abortedCallError(req.signal));
    }
  }
}

async function* tap<T>(messages: AsyncIterable<T>, onMessage: () => void): AsyncIterable<T> {
  for await (const message of messages) {
    onMessage();
    yield message;
  }
}
