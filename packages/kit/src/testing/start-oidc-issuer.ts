import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  base64url,
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from "jose";

/** The algorithms the issuer has a key for. */
export type OidcIssuerAlgorithm = "RS256" | "ES256";

/** How {@link OidcIssuer.sign} signs a token. */
export interface OidcSignOptions {
  /** The algorithm, and so the issuer key, to sign with; RS256 unless set. */
  alg?: OidcIssuerAlgorithm;
  /** The `kid` header; the signing key's own unless set. */
  kid?: string;
  /** Seconds from now until `exp` (negative: already expired); null for no `exp`; 300 unless set. */
  expiresIn?: number | null;
  /** A private key to sign with instead of the issuer's, keeping the issuer key's `kid`. */
  key?: CryptoKey;
}

/** Options of {@link startOidcIssuer}. */
export interface StartOidcIssuerOptions {
  /** The audience its tokens are for unless the claims name another; `sherpa-test` unless set. */
  audience?: string;
}

/** An OIDC issuer on a loopback port, with real jose keys, to start a server with as `SHERPA_OIDC_ISSUER`. */
export interface OidcIssuer {
  /** Its URL, for example `http://127.0.0.1:40123`: the `iss` of its tokens. */
  readonly issuer: string;
  /** The audience its tokens are for unless the claims name another. */
  readonly audience: string;
  /** A signed JWT with `iss`, `aud`, `iat` and `exp` set unless `claims` sets them. */
  sign(claims: JWTPayload, options?: OidcSignOptions): Promise<string>;
  /** An unsigned `alg: none` JWT. */
  signNone(claims: JWTPayload): string;
  /** An HS256 JWT "keyed" with the PEM of the current RSA public key: the algorithm-confusion attack. */
  signHs256WithPublicKey(claims: JWTPayload): Promise<string>;
  /** Replaces every key with a new one (new `kid`); the old ones leave the JWKS. */
  rotate(): Promise<void>;
  /** While down, every request is answered 503. */
  setDown(down: boolean): void;
  /** How many times the JWKS has been fetched. */
  jwksRequests(): number;
  /** Closes the server and its connections. */
  stop(): Promise<void>;
}

interface IssuerKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

async function newKey(alg: OidcIssuerAlgorithm): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`;
  return {
    kid,
    privateKey,
    publicKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" },
  };
}

async function newKeys(): Promise<Record<OidcIssuerAlgorithm, IssuerKey>> {
  return { RS256: await newKey("RS256"), ES256: await newKey("ES256") };
}

/**
 * Starts an issuer on 127.0.0.1 serving `/.well-known/openid-configuration`
 * and `/jwks.json`, with an RS256 and an ES256 key; `stop()` closes it.
 *
 * The same issuer as `startTestIssuer` in apps/server (src/access/testing),
 * which the server's unit specs use: a test package cannot import another
 * package's sources, and @sherpa/server exports no testing entry point.
 */
export async function startOidcIssuer(options: StartOidcIssuerOptions = {}): Promise<OidcIssuer> {
  const audience = options.audience ?? "sherpa-test";
  let keys = await newKeys();
  let down = false;
  let jwksRequests = 0;
  let issuer = "";
  const server = createServer((request, response) => {
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (down) {
      send(503, { error: "down" });
    } else if (request.url === "/.well-known/openid-configuration") {
      send(200, { issuer, jwks_uri: `${issuer}/jwks.json` });
    } else if (request.url === "/jwks.json") {
      jwksRequests += 1;
      send(200, { keys: Object.values(keys).map((key) => key.publicJwk) });
    } else {
      send(404, { error: "not found" });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const claimsOf = (claims: JWTPayload, expiresIn: number | null = 300): JWTPayload => {
    const now = Math.floor(Date.now() / 1000);
    const exp = expiresIn === null ? {} : { exp: now + expiresIn };
    return { iss: issuer, aud: audience, iat: now, ...exp, ...claims };
  };
  return {
    issuer,
    audience,
    sign(claims, how = {}) {
      const alg = how.alg ?? "RS256";
      return new SignJWT(claimsOf(claims, how.expiresIn))
        .setProtectedHeader({ alg, kid: how.kid ?? keys[alg].kid })
        .sign(how.key ?? keys[alg].privateKey);
    },
    signNone(claims) {
      const header = base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }));
      return `${header}.${base64url.encode(JSON.stringify(claimsOf(claims)))}.`;
    },
    async signHs256WithPublicKey(claims) {
      const pem = await exportSPKI(keys.RS256.publicKey);
      return new SignJWT(claimsOf(claims))
        .setProtectedHeader({ alg: "HS256", kid: keys.RS256.kid })
        .sign(new TextEncoder().encode(pem));
    },
    async rotate() {
      keys = await newKeys();
    },
    setDown(isDown) {
      down = isDown;
    },
    jwksRequests: () => jwksRequests,
    stop() {
      server.closeAllConnections();
      return new Promise((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
