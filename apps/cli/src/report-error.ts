import { BadRequestSchema } from "@sherpa/proto/google/rpc/error_details_pb.js";
import { Code, ConnectError } from "@sherpa/sdk";
import { type CliIo, writeLine } from "./cli-io.js";
import { UsageError } from "./usage-error.js";

/** Exit status of a command line the CLI could not understand. */
export const usageExitCode = 2;

/** Exit status after Ctrl-C, as shells report a process ended by SIGINT. */
export const interruptedExitCode = 130;

/** What `reportError` needs besides the error. */
export interface ReportErrorOptions {
  /** Usage text printed after a usage error. */
  readonly usage: string;
  /** The server address, named in the hint when it cannot be reached. */
  readonly server: string | undefined;
}

// Node.js error codes that mean nothing answered at the address.
const unreachable = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT)\b/;

/**
 * Prints an error the way a user can act on it and returns the exit status:
 * 2 with the usage for a usage error, 130 after Ctrl-C, 1 otherwise.
 */
export function reportError(
  error: unknown,
  io: CliIo,
  { usage, server }: ReportErrorOptions,
): number {
  if (error instanceof UsageError) {
    writeLine(io.stderr, `sherpa: ${error.message}\n`);
    io.stderr.write(usage);
    return usageExitCode;
  }
  if (io.signal?.aborted) {
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
  if (error.code === Code.Unavailable && unreachable.test(causeText(error))) {
    writeLine(
      io.stderr,
      `sherpa: no Sherpa server answered at ${server}; check --server or SHERPA_SERVER`,
    );
  }
  return 1;
}

function causeText(error: ConnectError): string {
  const cause = error.cause;
  const code = cause instanceof Error && "code" in cause ? String(cause.code) : "";
  return `${error.rawMessage} ${code}`;
}
