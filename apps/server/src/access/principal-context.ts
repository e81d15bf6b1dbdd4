import { Code, createContextKey, type HandlerContext } from "@connectrpc/connect";
import { reasonedError } from "../services/reasoned-error.js";
import type { Principal } from "./principal.js";

/** The authenticated caller of an RPC, set by the entry point that authenticated it. */
export const principalKey = createContextKey<Principal | undefined>(undefined, {
  description: "the authenticated caller",
});

/**
 * The caller of an RPC. Every entry point authenticates before a handler runs,
 * so a missing principal is refused rather than treated as anybody.
 */
export function callerOf(context: Pick<HandlerContext, "values">): Principal {
  const principal = context.values.get(principalKey);
  if (principal === undefined) {
    throw reasonedError("this call needs a credential", Code.Unauthenticated, "CREDENTIAL_MISSING");
  }
  return principal;
}
