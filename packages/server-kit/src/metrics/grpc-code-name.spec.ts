import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { grpcCodeName } from "./grpc-code-name.js";

describe("grpcCodeName", () => {
  const names: [Code, string][] = [
    [Code.Canceled, "Canceled"],
    [Code.Unknown, "Unknown"],
    [Code.InvalidArgument, "InvalidArgument"],
    [Code.DeadlineExceeded, "DeadlineExceeded"],
    [Code.NotFound, "NotFound"],
    [Code.AlreadyExists, "AlreadyExists"],
    [Code.PermissionDenied, "PermissionDenied"],
    [Code.ResourceExhausted, "ResourceExhausted"],
    [Code.FailedPrecondition, "FailedPrecondition"],
    [Code.Aborted, "Aborted"],
    [Code.OutOfRange, "OutOfRange"],
    [Code.Unimplemented, "Unimplemented"],
    [Code.Internal, "Internal"],
    [Code.Unavailable, "Unavailable"],
    [Code.DataLoss, "DataLoss"],
    [Code.Unauthenticated, "Unauthenticated"],
    [17 as Code, "Code(17)"],
  ];
  for (const [code, name] of names) {
    it(`names code ${code} ${name}`, () => {
      assert.equal(grpcCodeName(code), name);
    });
  }
});
