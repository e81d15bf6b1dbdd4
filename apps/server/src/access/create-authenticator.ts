import { Code, ConnectError } from "@connectrpc/connect";
import type { Credential } from "../domain/credential.js";
import { type AccessReason, reasonedError, reasonOf } from "../services/reasoned-error.js";
import type { CredentialStore } from "../storage/credential-store.js";
import { createNodePrincipal, createPrincipal, type Principal } from "./principal.js";
import { parseToken, secretMatches } from "./secret-token.js";

/** Something that verifies bearer JWTs, such as the OIDC verifier. */
export interface JwtVerifier {
  verify(token: string): Promise<Principal>;
}

/** What {@link createAuthenticator} needs. */
export interface AuthenticatorDeps {
  credentials: CredentialStore;
  /** Verifies JWTs; undefined when no OIDC issuer is configured. */
  jwt: JwtVerifier | undefined;
  now: () => Date;
}

/** Turns a bearer credential into a principal. */
export interface Authenticator {
  /** Resolves with the caller, or rejects with Unauthenticated (Unavailable if the issuer is down). */
  authenticate(bearer: string): Promise<Principal>;
}

const jwtPattern = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/**
 * Creates the authenticator: Sherpa's own tokens (`shp_`, `shn_`, `shj_`) are
 * looked up by their public ID and their secret checked against the stored
 * hash; anything shaped like a JWT goes to the JWT verifier.
 */
export function createAuthenticator(deps: AuthenticatorDeps): Authenticator {
  return {
    async authenticate(bearer) {
      const parsed = parseToken(bearer);
      if (parsed !== undefined) {
        const credential = await deps.credentials.findCredential(parsed.id);
        if (
          credential === undefined ||
          credential.kind !== parsed.kind ||
          !secretMatches(parsed.secret, credential.secretHash)
        ) {
          throw unauthenticated(
            "TOKEN_INVALID",
            "the token is not valid: it is unknown or its secret is wrong",
          );
        }
        checkUsable(credential, deps.now());
        return { ...principalOf(credential), checkStillUsable: () => recheck(deps, parsed.id) };
      }
      if (jwtPattern.test(bearer)) {
        if (deps.jwt === undefined) {
          throw unauthenticated(
            "JWT_NOT_ACCEPTED",
            "JWTs are not accepted: this server has no OIDC issuer configured (SHERPA_OIDC_ISSUER)",
          );
        }
        const principal = await deps.jwt.verify(bearer).catch((error: unknown) => {
          throw withJwtReason(ConnectError.from(error));
        });
        return { ...principal, checkStillUsable: async () => checkJwtUnexpired(principal, deps) };
      }
      throw unauthenticated(
        "CREDENTIAL_MALFORMED",
        "the bearer credential is neither a Sherpa token (shp_...) nor a JWT",
      );
    },
  };
}

function checkUsable(credential: Credential, now: Date) {
  if (credential.revokeTime !== undefined) {
    throw unauthenticated(
      "TOKEN_REVOKED",
      credential.kind === "join"
        ? "the join token has been used or revoked; create a new one with `sherpa nodes join-token create`"
        : `the token was revoked at ${credential.revokeTime.toISOString()}`,
    );
  }
  if (credential.expireTime !== undefined && credential.expireTime <= now) {
    throw unauthenticated(
      "TOKEN_EXPIRED",
      `the token expired at ${credential.expireTime.toISOString()}`,
    );
  }
}

/** Reads a credential again: it may have been revoked, or have expired, since it was checked. */
async function recheck(deps: AuthenticatorDeps, id: string): Promise<void> {
  const credential = await deps.credentials.findCredential(id);
  if (credential === undefined) {
    throw unauthenticated("TOKEN_INVALID", "the token no longer exists");
  }
  checkUsable(credential, deps.now());
}

function checkJwtUnexpired(principal: Principal, deps: AuthenticatorDeps): void {
  if (principal.expireTime !== undefined && principal.expireTime <= deps.now()) {
    throw unauthenticated(
      "JWT_INVALID",
      `the bearer JWT expired at ${principal.expireTime.toISOString()}; get a new one from the issuer`,
    );
  }
}

function principalOf(credential: Credential): Principal {
  const common = { id: credential.id, expireTime: credential.expireTime };
  switch (credential.kind) {
    case "api":
      return createPrincipal({
        ...common,
        kind: "token",
        subject: credential.name,
        role: credential.role,
        queues: credential.queues,
        nodeName: "",
        labels: {},
      });
    case "node":
      return createNodePrincipal(
        credential.id,
        "node",
        credential.name,
        credential.labels,
        credential.expireTime,
      );
    case "join":
      return createPrincipal({
        ...common,
        kind: "join",
        subject: `join:${credential.id}`,
        role: undefined,
        queues: [],
        nodeName: "",
        labels: credential.labels,
      });
  }
}

function unauthenticated(reason: AccessReason, message: string) {
  return reasonedError(message, Code.Unauthenticated, reason);
}

/** The verifier's errors, with the reason a program can act on. */
function withJwtReason(error: ConnectError): ConnectError {
  if (reasonOf(error) !== undefined) {
    return error;
  }
  return error.code === Code.Unavailable
    ? reasonedError(error.rawMessage, Code.Unavailable, "ISSUER_UNAVAILABLE")
    : reasonedError(error.rawMessage, Code.Unauthenticated, "JWT_INVALID");
}
