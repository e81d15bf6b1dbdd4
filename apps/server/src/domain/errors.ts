/**
 * Errors the domain raises for a caller's mistake or a state conflict. The RPC
 * layer maps each kind to its Connect code in one place
 * (`services/domain-error-interceptor.ts`); anything else is an internal error.
 */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    /** For "invalid-argument": the offending request field, for example `queue.gpu_quota`. */
    readonly field?: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

/** What went wrong, independent of the wire protocol. */
export type DomainErrorKind =
  | "not-found"
  | "already-exists"
  | "failed-precondition"
  | "invalid-argument";

/** An entity that does not exist, for example `notFound("task", id)`. */
export function notFound(entity: string, key: string): DomainError {
  return new DomainError("not-found", `${entity} "${key}" not found`);
}

/** A create whose key is taken. */
export function alreadyExists(entity: string, key: string): DomainError {
  return new DomainError("already-exists", `${entity} "${key}" already exists`);
}

/** A request that conflicts with the entity's current state. */
export function failedPrecondition(message: string): DomainError {
  return new DomainError("failed-precondition", message);
}

/** A request field whose value the domain rejects, for example an unknown reference. */
export function invalidArgument(field: string, message: string): DomainError {
  return new DomainError("invalid-argument", message, field);
}
