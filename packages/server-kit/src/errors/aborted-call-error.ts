import { Code, ConnectError } from "@connectrpc/connect";

/**
 * The error a server call ends with once its signal has aborted, for its
 * caller, its log line and its metrics alike: DeadlineExceeded when its
 * deadline passed and Unavailable when the server shuts down (the reasons
 * connect-es aborts with), else Canceled: the client went away, whichever way
 * its connection told (an HTTP/2 reset of any code, a lost connection, a
 * closed HTTP/1.1 socket). A client leaving is never the server's fault, so it
 * is never Internal.
 */
export function abortedCallError(signal: AbortSignal): ConnectError {
  const reason = ConnectError.from(signal.reason ?? "the call was aborted", Code.Canceled);
  if (
    reason.code === Code.DeadlineExceeded ||
    reason.code === Code.Unavailable ||
    reason.code === Code.Canceled
  ) {
    return reason;
  }
  return new ConnectError(
    `the client went away: ${reason.rawMessage}`,
    Code.Canceled,
    undefined,
    undefined,
    reason,
  );
}
