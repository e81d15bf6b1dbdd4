import { Code, ConnectError } from "@connectrpc/connect";

/** How connect-es's binary serialization starts the message of a message that does not parse. */
const parseErrorPrefix = "parse binary: ";

/**
 * The error for a request message that failed to decode: connect-es reports
 * protobuf bytes that do not parse as Internal with the parser's text, as if
 * the server were at fault; that becomes InvalidArgument, saying what could
 * not be decoded. Every other error is kept: ResourceExhausted for size,
 * InvalidArgument for bad JSON, and Internal for a frame flagged compressed
 * without an encoding, which the gRPC and Connect protocols require (the
 * Connect conformance suite checks it).
 */
export function malformedRequestError(error: unknown): ConnectError {
  const connectError = ConnectError.from(error);
  if (
    connectError.code !== Code.Internal ||
    !connectError.rawMessage.startsWith(parseErrorPrefix)
  ) {
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
