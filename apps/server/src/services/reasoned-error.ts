import { type Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "@sherpa/proto/google/rpc/error_details_pb.js";
import type { ErrorReason } from "../domain/errors.js";

/** The ErrorInfo domain of every reason Sherpa gives. */
export const errorDomain = "sherpa.dev";

/** Reasons of refusals by access control, beside the domain's {@link ErrorReason}s. */
export type AccessReason =
  | "CREDENTIAL_MISSING"
  | "CREDENTIAL_MALFORMED"
  | "TOKEN_INVALID"
  | "TOKEN_REVOKED"
  | "TOKEN_EXPIRED"
  | "JWT_INVALID"
  | "JWT_NOT_ACCEPTED"
  | "ISSUER_UNAVAILABLE"
  | "NO_POLICY"
  | "PERMISSION_MISSING"
  | "QUEUE_NOT_GRANTED"
  | "NOT_TASK_OWNER"
  | "WRONG_NODE"
  | "NODE_NAME_RESERVED"
  | "RATE_LIMITED"
  | "TOO_MANY_AUTH_FAILURES";

/**
 * A Connect error with a google.rpc.ErrorInfo detail (domain `sherpa.dev`), so
 * that programs branch on `reason` instead of matching message text.
 */
export function reasonedError(
  message: string,
  code: Code,
  reason: ErrorReason | AccessReason,
  extraDetails: ConstructorParameters<typeof ConnectError>[3] = [],
): ConnectError {
  return new ConnectError(message, code, undefined, [
    { desc: ErrorInfoSchema, value: { reason, domain: errorDomain } },
    ...(extraDetails ?? []),
  ]);
}

/** The ErrorInfo reason of an error, if it carries one. */
export function reasonOf(error: ConnectError): string | undefined {
  return error.findDetails(ErrorInfoSchema)[0]?.reason;
}
