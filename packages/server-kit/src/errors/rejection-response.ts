import type { ConnectError } from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { createAsyncIterable, encodeEnvelope } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { trailerFlag, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";

/**
 * The answer to a unary call that connect-es rejected before any handler ran,
 * with `error` in place of the error connect-es answered `rejected` with, in
 * the call's protocol: a Connect error body and HTTP status, gRPC trailers, or
 * a gRPC-Web trailer frame. The other headers of `rejected` stay.
 */
export function rejectionResponse(
  protocolName: string,
  rejected: UniversalServerResponse,
  error: ConnectError,
): UniversalServerResponse {
  const header = new Headers(rejected.header);
  switch (protocolName) {
    case "grpc":
      return { ...rejected, header, trailer: setTrailerStatus(new Headers(), error) };
    case "grpc-web": {
      const trailer = trailerSerialize(setTrailerStatus(new Headers(), error));
      return {
        ...rejected,
        header,
        body: createAsyncIterable([encodeEnvelope(trailerFlag, trailer)]),
      };
    }
    default: {
      const body = errorToJsonBytes(error, {});
      header.set("content-type", "application/json");
      header.set("content-length", String(body.byteLength));
      // The body is written afresh, uncompressed.
      header.delete("content-encoding");
      return {
        status: codeToHttpStatus(error.code),
        header,
        body: createAsyncIterable([body]),
      };
    }
  }
}
