/** The wire protocols a Connect server speaks. */
export type ProtocolName = "grpc" | "grpc-web" | "connect";

/**
 * The protocol of a request, from its content type: `application/grpc-web*`
 * is gRPC-Web, other `application/grpc*` is gRPC, anything else (JSON, proto,
 * GET without a body) is Connect.
 */
export function protocolName(contentType: string | null): ProtocolName {
  const type = contentType?.toLowerCase() ?? "";
  if (type.startsWith("application/grpc-web")) {
    return "grpc-web";
  }
  return type.startsWith("application/grpc") ? "grpc" : "connect";
}
