import { Code } from "@connectrpc/connect";

// Spelled as grpc-go's codes.Code.String(), which dashboards and alerts match on.
const goNames: Record<Code, string> = {
  [Code.Canceled]: "Canceled",
  [Code.Unknown]: "Unknown",
  [Code.InvalidArgument]: "InvalidArgument",
  [Code.DeadlineExceeded]: "DeadlineExceeded",
  [Code.NotFound]: "NotFound",
  [Code.AlreadyExists]: "AlreadyExists",
  [Code.PermissionDenied]: "PermissionDenied",
  [Code.ResourceExhausted]: "ResourceExhausted",
  [Code.FailedPrecondition]: "FailedPrecondition",
  [Code.Aborted]: "Aborted",
  [Code.OutOfRange]: "OutOfRange",
  [Code.Unimplemented]: "Unimplemented",
  [Code.Internal]: "Internal",
  [Code.Unavailable]: "Unavailable",
  [Code.DataLoss]: "DataLoss",
  [Code.Unauthenticated]: "Unauthenticated",
};

/**
 * The name grpc-go gives a status code ("NotFound", "DeadlineExceeded"), as used
 * in the `grpc_code` label of go-grpc-prometheus metrics. Success has no member
 * in Connect's `Code`; callers spell it "OK". Codes outside the enum read
 * "Code(17)", as in Go.
 */
export function grpcCodeName(code: Code): string {
  return goNames[code] ?? `Code(${code})`;
}
