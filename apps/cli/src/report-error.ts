import { BadRequestSchema } from "@sherpa/proto/google/rpc/error_details_pb.js";
import { Code, ConnectError } from "@sherpa/sdk";
import { type CliIo, writeLine } from "./cli-io.js";
import type { GlobalSettings } from "./global-options.js";
import { InterruptedError } from "./interrupted-error.js";
import { UsageError } from "./usage-error.js";

/** Exit status of a command line the CLI could not understand. */
export const usageExitCode = 2;

/** Exit status when the server did not accept the token, or none was sent (Unauthenticated). */
export const unauthenticatedExitCode = 3;

/** Exit status when the token's role or queues do not allow the call (PermissionDenied). */
export const permissionDeniedExitCode = 4;

/** Exit status after Ctrl-C, as shells report a process ended by SIGINT. */
export const interruptedExitCode = 130;

/** What `reportError` needs besides the error. */
export interface ReportErrorOptions {
  /** Usage text printed after a usage error. */
  readonly usage: string;
  /** The server and credential the call used, named in hints; undefined before they were known. */
  readonly settings: GlobalSettings | undefined;
}

// Node.js error codes that mean nothing answered at the address.
const unreachable = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT)\b/;

/**
 * Prints an error the way a user can act on it and returns the exit status:
 * 2 with the usage for a usage error, 3 for Unauthenticated and 4 for
 * PermissionDenied with a hint on credentials, 130 after Ctrl-C, 1 otherwise.
 */
export function reportError(
  error: unknown,
  io: CliIo,
  { usage, settings }: ReportErrorOptions,
): number {
  if (error instanceof UsageError) {
    writeLine(io.stderr, `sherpa: ${error.message}\n`);
    io.stderr.write(usage);
    return usageExitCode;
  }
  if (io.signal?.aborted || error instanceof InterruptedError) {
    return interruptedExitCode;
  }
  if (!(error instanceof ConnectError)) {
    writeLine(io.stderr, `sherpa: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  writeLine(io.stderr, `sherpa: ${Code[error.code]}: ${error.rawMessage}`);
  for (const { fieldViolations } of error.findDetails(BadRequestSchema)) {
    for (const { field, description } of fieldViolations) {
      writeLine(io.stderr, `  ${field}: ${description}`);
    }
  }
  switch (error.code) {
    case Code.Unauthenticated:
      writeLine(io.stderr, `sherpa: ${unauthenticatedHint(settings)}`);
      return unauthenticatedExitCode;
    case Code.PermissionDenied:
      writeLine(io.stderr, `sherpa: ${permissionDeniedHint(settings)}`);
      return permissionDeniedExitCode;
    case Code.Unavailable:
      if (settings !== undefined && unreachable.test(causeText(error))) {
        writeLine(
          io.stderr,
          `sherpa: no Sherpa server answered at ${settings.server} (from ${settings.serverSource}); check --server, SHERPA_SERVER or the profile`,
        );
      }
      return 1;
    default:
      return 1;
  }
}

const howToPass = "pass one with --token TOKEN or SHERPA_TOKEN, or save one with `sherpa login`";

function unauthenticatedHint(settings: GlobalSettings | undefined): string {
  if (settings?.credential === undefined) {
    const profile =
      settings?.profilePath === undefined ? "" : `, nor in the profile ${settings.profilePath}`;
    return `no token was sent (none given with --token or SHERPA_TOKEN${profile}); ${howToPass}`;
  }
  return `the server did not accept the token from ${settings.credential.source} (revoked, expired, or for another server); ${howToPass}`;
}

function permissionDeniedHint(settings: GlobalSettings | undefined): string {
  const from = settings?.credential === undefined ? "" : ` from ${settings.credential.source}`;
  return `the token${from} does not allow this; \`sherpa whoami\` shows its role, queues and permissions, and an admin can create one that does with \`sherpa tokens create\``;
}

function causeText(error: ConnectError): string {
  const cause = error.cause;
  const code = cause instanceof Error && "code" in cause ? String(cause.code) : "";
  return `${error.rawMessage} ${code}`;
}
