import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "@sherpa/proto/google/rpc/error_details_pb.js";

/** One problem with one request field, as google.rpc.BadRequest reports it. */
export interface FieldViolation {
  /** Path of the field in the request, for example `queue.gpu_quota` or `argv[0]`. */
  field: string;
  description: string;
}

/**
 * The InvalidArgument error for a request with bad fields: the message names
 * every field, and a google.rpc.BadRequest detail lists them for programs.
 */
export function invalidArgumentError(violations: readonly FieldViolation[]): ConnectError {
  const message = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  return new ConnectError(message, Code.InvalidArgument, undefined, [
    {
      desc: BadRequestSchema,
      value: {
        fieldViolations: violations.map((v) => ({ field: v.field, description: v.description })),
      },
    },
  ]);
}

/**
 * Collects the problems of one request so that the caller learns about all of
 * them at once, then throws them as one InvalidArgument error.
 */
export class FieldViolations {
  private readonly violations: FieldViolation[] = [];

  /** Records a problem with a field. */
  add(field: string, description: string): void {
    this.violations.push({ field, description });
  }

  /** Throws InvalidArgument listing every recorded problem, if there is one. */
  throwIfAny(): void {
    if (this.violations.length > 0) {
      throw invalidArgumentError(this.violations);
    }
  }
}

/** Returns a required message field, or throws InvalidArgument naming it. */
export function requireMessage<T>(value: T | undefined, field: string): T {
  if (value === undefined) {
    throw invalidArgumentError([{ field, description: "is required" }]);
  }
  return value;
}
