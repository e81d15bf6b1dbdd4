import { Code, ConnectError } from "@connectrpc/connect";
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { type Role, roles } from "../domain/credential.js";
import { createPrincipal, type Principal } from "./principal.js";
import { parseRole } from "./roles.js";

/** Options of {@link createOidcVerifier}. */
export interface OidcVerifierOptions {
  /** The issuer URL, exactly as it appears in its tokens' `iss` claim. */
  issuer: string;
  /** The audience tokens must be for (`aud`): this server's client ID at the issuer. */
  audience: string;
  /** The claim that carries roles and queue grants, for example `groups`. */
  claim: string;
  /** Prefix of the claim's entries that concern Sherpa, for example `sherpa:`. */
  claimPrefix: string;
  /**
   * How long after fetching the JWKS a token with an unknown `kid` is refused
   * without fetching it again; small values pick up key rotation sooner.
   */
  jwksCooldownMs: number;
  /** Clock skew allowed when checking `exp` and `nbf`; 0 unless set. */
  clockToleranceSec?: number;
  /** Told when the issuer cannot be used, which is the operator's problem, not the caller's. */
  logger?: { warn(details: object, msg: string): void };
}

/** Checks bearer JWTs of one OIDC issuer. */
export interface OidcVerifier {
  /**
   * The principal of a valid token. Throws a ConnectError: Unauthenticated for
   * a token that is refused, Unavailable when the issuer cannot be reached.
   */
  verify(token: string): Promise<Principal>;
}

/**
 * Only asymmetric algorithms: `none` carries no signature, and an HMAC "keyed"
 * with the issuer's public key could be forged by anybody.
 */
const allowedAlgorithms = [
  ...["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"],
  ...["ES256", "ES384", "ES512", "EdDSA"],
];

const discoveryTimeoutMs = 5000;

const jwtPattern = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Whether a bearer token has the shape of a compact JWT (three base64url
 * segments; the last empty for `alg: none`, so that such tokens reach the
 * verifier and are refused with a reason).
 */
export function looksLikeJwt(token: string): boolean {
  return jwtPattern.test(token);
}

/**
 * Makes a verifier that discovers the issuer's JWKS on first use (retrying
 * after a failure) and fetches it again when a token names a key it does not
 * know, so that key rotation at the issuer needs no restart.
 */
export function createOidcVerifier(options: OidcVerifierOptions): OidcVerifier {
  let keys: Promise<JWTVerifyGetKey> | undefined;
  const keysOfIssuer = () => {
    keys ??= discoverKeys(options).catch((error: unknown) => {
      keys = undefined;
      throw error;
    });
    return keys;
  };
  return {
    async verify(token) {
      const getKey = await keysOfIssuer();
      try {
        const { payload } = await jwtVerify(token, getKey, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: allowedAlgorithms,
          requiredClaims: ["exp", "sub"],
          clockTolerance: options.clockToleranceSec ?? 0,
        });
        return principalOf(payload, options);
      } catch (error) {
        throw refusalOf(error, token, options);
      }
    },
  };
}

async function discoverKeys(options: OidcVerifierOptions): Promise<JWTVerifyGetKey> {
  const unavailable = (reason: string, details: object) => {
    options.logger?.warn(
      { issuer: options.issuer, ...details },
      `the OIDC issuer cannot be used: ${reason}`,
    );
    return new ConnectError(
      `the OIDC issuer ${options.issuer} is unavailable; try again later`,
      Code.Unavailable,
    );
  };
  const url = `${options.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  let document: { issuer?: unknown; jwks_uri?: unknown };
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(discoveryTimeoutMs) });
    if (!response.ok) {
      throw new Error(`${url} answered HTTP ${response.status}`);
    }
    document = ((await response.json()) ?? {}) as typeof document;
  } catch (error) {
    throw unavailable("the discovery document could not be fetched", { url, error: String(error) });
  }
  if (document.issuer !== options.issuer) {
    throw unavailable("the discovery document names another issuer", { found: document.issuer });
  }
  if (typeof document.jwks_uri !== "string" || !URL.canParse(document.jwks_uri)) {
    throw unavailable("the discovery document has no valid jwks_uri", { found: document.jwks_uri });
  }
  const remoteKeys = createRemoteJWKSet(new URL(document.jwks_uri), {
    cooldownDuration: options.jwksCooldownMs,
  });
  return async (header, token) => {
    try {
      return await remoteKeys(header, token);
    } catch (error) {
      if (error instanceof errors.JOSEError && keyLookupErrors.has(error.code)) {
        throw error;
      }
      throw unavailable("the JWKS could not be fetched", { error: String(error) });
    }
  };
}

/** Errors of looking a key up in a JWKS that was fetched; any other means fetching failed. */
const keyLookupErrors = new Set([
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
  errors.JOSENotSupported.code,
]);

function principalOf(payload: JWTPayload, options: OidcVerifierOptions): Principal {
  if (typeof payload.sub !== "string" || payload.sub === "") {
    throw new ConnectError('the bearer JWT\'s "sub" claim is not a string', Code.Unauthenticated);
  }
  const entries = [payload[options.claim]]
    .flat()
    .filter((entry): entry is string => typeof entry === "string")
    .filter((entry) => entry.startsWith(options.claimPrefix))
    .map((entry) => entry.slice(options.claimPrefix.length));
  const queuePrefix = "queue:";
  const queues = entries
    .filter((entry) => entry.startsWith(queuePrefix) && entry.length > queuePrefix.length)
    .map((entry) => entry.slice(queuePrefix.length));
  const subject = `oidc:${payload.sub}`;
  return createPrincipal({
    id: subject,
    kind: "oidc",
    subject,
    role: highestRole(entries),
    queues: [...new Set(queues)],
    nodeName: "",
    labels: {},
    expireTime: new Date((payload.exp ?? 0) * 1000),
  });
}

function highestRole(entries: readonly string[]): Role | undefined {
  let highest: Role | undefined;
  for (const entry of entries) {
    const role = parseRole(entry);
    if (
      role !== undefined &&
      (highest === undefined || roles.indexOf(role) > roles.indexOf(highest))
    ) {
      highest = role;
    }
  }
  return highest;
}

function refusalOf(error: unknown, token: string, options: OidcVerifierOptions): ConnectError {
  if (error instanceof ConnectError) {
    return error;
  }
  const refused = (message: string) => new ConnectError(message, Code.Unauthenticated);
  if (error instanceof errors.JWTExpired) {
    return refused("the bearer JWT has expired; get a new one from the issuer");
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return refused(claimRefusal(error, options));
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    const { alg } = headerOf(token);
    return refused(
      `the bearer JWT is signed with "alg" ${JSON.stringify(alg)}; this server accepts only ${allowedAlgorithms.join(", ")}`,
    );
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    const { kid } = headerOf(token);
    return refused(
      `the bearer JWT's signing key (kid ${JSON.stringify(kid)}) is unknown to the issuer ${options.issuer}`,
    );
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return refused("the bearer JWT names no signing key (kid) and the issuer has several");
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return refused(`the bearer JWT's signature does not match the issuer's key`);
  }
  if (error instanceof errors.JOSEError) {
    return refused("the bearer token is not a valid JWT");
  }
  options.logger?.warn({ issuer: options.issuer, error: String(error) }, "JWT verification failed");
  return refused("the bearer JWT could not be verified");
}

function claimRefusal(
  error: InstanceType<typeof errors.JWTClaimValidationFailed>,
  options: OidcVerifierOptions,
): string {
  if (error.reason === "missing") {
    return `the bearer JWT has no "${error.claim}" claim`;
  }
  switch (error.claim) {
    case "aud":
      return `the bearer JWT is for audience ${JSON.stringify(error.payload.aud)}, not this server (${options.audience})`;
    case "iss":
      return `the bearer JWT was issued by ${JSON.stringify(error.payload.iss)}, not by this server's issuer (${options.issuer})`;
    case "nbf":
      return "the bearer JWT is not valid yet (nbf); check the clocks of the issuer and the client";
    default:
      return `the bearer JWT's "${error.claim}" claim is invalid`;
  }
}

function headerOf(token: string): { alg?: unknown; kid?: unknown } {
  try {
    return decodeProtectedHeader(token);
  } catch {
    return {};
  }
}
