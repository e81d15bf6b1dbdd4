import { Code, ConnectError } from "@connectrpc/connect";

/**
 * The error for a request that failed to decode: connect-es reports bytes that
 * are not the message they claim to be (a protobuf parse error, a compressed
 * frame without an encoding) as Internal, with the parser's text, as if the
 * server were at fault. Those are the caller's bad input, so an Internal error
 * becomes InvalidArgument, saying what could not be decoded; any other code
 * (ResourceExhausted for size, InvalidArgument for bad JSON, ...) is kept.
 */
export function malformedRequestError(error: unknown): ConnectError {
  const connectError = ConnectError.from(error);
  if (connectError.code !== Code.Internal) {
    return connectError;
  }
  return new ConnectError(
    `the request could not be decoded: ${connectError.rawMessage}`,
    Code.InvalidArgument,
    undefined,
    undefined,
    connectError,
  );
}
