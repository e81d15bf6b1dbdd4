/**
 * Errors the domain raises for a caller's mistake or a state conflict. The RPC
 * layer maps each kind to its Connect code in one place
 * (`services/domain-error-interceptor.ts`), with the reason as a
 * google.rpc.ErrorInfo detail; anything else is an internal error.
 */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    /** Machine-readable reason, for example `QUEUE_CLOSED`; see {@link ErrorReason}. */
    readonly reason: ErrorReason,
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

/**
 * The reasons callers can branch on (google.rpc.ErrorInfo `reason`, domain
 * `sherpa.dev`), listed in the README. Never rename one: add a new one.
 */
export type ErrorReason =
  | `${EntityReason}_NOT_FOUND`
  | `${EntityReason}_ALREADY_EXISTS`
  | "QUEUE_CLOSED"
  | "QUEUE_HAS_TASKS"
  | "RESOURCE_GROUP_IN_USE"
  | "TASK_ENDED"
  | "JOIN_TOKEN_USED"
  | "INVALID_ARGUMENT";

/** Entities whose absence or duplication is reported. */
type EntityReason =
  | "TASK"
  | "QUEUE"
  | "RESOURCE_GROUP"
  | "NODE"
  | "TOKEN"
  | "NODE_CREDENTIAL"
  | "ENROLLED_NODE"
  | "REQUEST_ID";

/** The error-reason spelling of an entity name: "resource group" is RESOURCE_GROUP. */
function entityReason(entity: string): EntityReason {
  return entity.toUpperCase().replaceAll(" ", "_") as EntityReason;
}

/** An entity that does not exist, for example `notFound("task", id)`. */
export function notFound(entity: string, key: string): DomainError {
  return new DomainError(
    "not-found",
    `${entityReason(entity)}_NOT_FOUND`,
    `${entity} "${key}" not found`,
  );
}

/** A create whose key is taken. */
export function alreadyExists(entity: string, key: string): DomainError {
  return new DomainError(
    "already-exists",
    `${entityReason(entity)}_ALREADY_EXISTS`,
    `${entity} "${key}" already exists`,
  );
}

/** A request that conflicts with the entity's current state. */
export function failedPrecondition(reason: ErrorReason, message: string): DomainError {
  return new DomainError("failed-precondition", reason, message);
}

/** A request field whose value the domain rejects, for example an unknown reference. */
export function invalidArgument(field: string, message: string): DomainError {
  return new DomainError("invalid-argument", "INVALID_ARGUMENT", message, field);
}
