import { Code, type ConnectError } from "@connectrpc/connect";

/**
 * Whether an error is the server refusing the agent itself, rather than
 * failing: Unauthenticated (its credential is unknown, revoked or missing) or
 * PermissionDenied (the credential may not do this, for example register
 * another node). Retrying cannot help until someone acts on it.
 */
export function isServerRefusal(error: ConnectError): boolean {
  return error.code === Code.Unauthenticated || error.code === Code.PermissionDenied;
}
