import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { rejectsWithCode } from "@sherpa/kit/testing";
import { type OidcIssuer, startOidcIssuer } from "@sherpa/kit/testing/oidc-issuer";
import { generateKeyPair } from "jose";
import { createOidcVerifier, looksLikeJwt, type OidcVerifierOptions } from "./oidc-verifier.js";
import type { Role } from "./roles.js";

function verifierOf(issuer: OidcIssuer, overrides: Partial<OidcVerifierOptions> = {}) {
  return createOidcVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    claim: "groups",
    claimPrefix: "sherpa:",
    jwksCooldownMs: 0,
    ...overrides,
  });
}

function recordingLogger() {
  const messages: string[] = [];
  return { messages, warn: (_details: object, message: string) => messages.push(message) };
}

describe("createOidcVerifier", () => {
  let issuer: OidcIssuer;
  before(async () => {
    issuer = await startOidcIssuer();
  });
  after(() => issuer.stop());

  it("accepts a valid token, mapping the highest role and the queue grants", async () => {
    const groups = ["sherpa:submitter", "sherpa:operator", "sherpa:queue:training", "staff"];
    const token = await issuer.sign({ sub: "alice", groups }, { expiresIn: 600 });
    const principal = await verifierOf(issuer).verify(token);
    assert.equal(principal.id, "oidc:alice");
    assert.equal(principal.subject, "oidc:alice");
    assert.equal(principal.kind, "oidc");
    assert.equal(principal.role, "operator");
    assert.deepEqual(principal.queues, ["training"]);
    assert.equal(principal.nodeName, "");
    assert.deepEqual(principal.labels, {});
    assert.ok(principal.permissions.has("tasks.cancel-any"));
    assert.ok(!principal.permissions.has("fleet.manage"));
    const secondsLeft = ((principal.expireTime?.getTime() ?? 0) - Date.now()) / 1000;
    assert.ok(secondsLeft > 590 && secondsLeft <= 600, `expires in ${secondsLeft} s`);
  });

  const accepted: {
    name: string;
    claims: Record<string, unknown>;
    alg?: "ES256";
    role: Role | undefined;
    queues: string[];
  }[] = [
    {
      name: "an ES256 token",
      claims: { groups: ["sherpa:viewer"] },
      alg: "ES256",
      role: "viewer",
      queues: [],
    },
    {
      name: "the claim as a single string",
      claims: { groups: "sherpa:admin" },
      role: "admin",
      queues: [],
    },
    {
      name: "no Sherpa role (default deny), keeping queue grants",
      claims: { groups: ["staff", "sherpa:queue:a", "sherpa:queue:a", "sherpa:root"] },
      role: undefined,
      queues: ["a"],
    },
    { name: "no claim at all", claims: {}, role: undefined, queues: [] },
  ];
  for (const { name, claims, alg, role, queues } of accepted) {
    it(`accepts ${name}`, async () => {
      const token = await issuer.sign({ sub: "bob", ...claims }, alg ? { alg } : {});
      const principal = await verifierOf(issuer).verify(token);
      assert.equal(principal.role, role);
      assert.deepEqual(principal.queues, queues);
      if (role === undefined) {
        assert.deepEqual([...principal.permissions], ["self.read"]);
      }
    });
  }

  const refused: { name: string; token: () => Promise<string> | string; message: RegExp }[] = [
    {
      name: "a token for another audience",
      token: () => issuer.sign({ sub: "carol", aud: "other-app" }),
      message: /^the bearer JWT is for audience "other-app", not this server \(sherpa-test\)$/,
    },
    {
      name: "a token of another issuer",
      token: () => issuer.sign({ sub: "carol", iss: "https://idp.example" }),
      message: /issued by "https:\/\/idp\.example", not by this server's issuer \(http:/,
    },
    {
      name: "an expired token",
      token: () => issuer.sign({ sub: "carol" }, { expiresIn: -60 }),
      message: /^the bearer JWT has expired/,
    },
    {
      name: "alg: none",
      token: () => issuer.signNone({ sub: "carol" }),
      message: /signed with "alg" "none"; this server accepts only RS256, .*EdDSA$/,
    },
    {
      name: "HS256 keyed with the issuer's public key",
      token: () => issuer.signHs256WithPublicKey({ sub: "carol" }),
      message: /signed with "alg" "HS256"; this server accepts only/,
    },
    {
      name: "an unknown kid",
      token: () => issuer.sign({ sub: "carol" }, { kid: "no-such-key" }),
      message: /signing key \(kid "no-such-key"\) is unknown to the issuer http:/,
    },
    {
      name: "a signature by another key under the issuer's kid",
      token: async () => {
        const { privateKey } = await generateKeyPair("RS256");
        return issuer.sign({ sub: "carol" }, { key: privateKey });
      },
      message: /signature does not match the issuer's key/,
    },
    {
      name: "a token without sub",
      token: () => issuer.sign({ groups: ["sherpa:admin"] }),
      message: /^the bearer JWT has no "sub" claim$/,
    },
    {
      name: "a token without exp",
      token: () => issuer.sign({ sub: "carol" }, { expiresIn: null }),
      message: /^the bearer JWT has no "exp" claim$/,
    },
    {
      name: "a token that is not JSON",
      token: () => "e30.bm90LWpzb24.c2ln",
      message: /not a valid JWT/,
    },
  ];
  for (const { name, token, message } of refused) {
    it(`refuses ${name}`, async () => {
      const verifier = verifierOf(issuer);
      await rejectsWithCode(verifier.verify(await token()), Code.Unauthenticated, message);
    });
  }

  it("answers Unavailable while the issuer is down, and recovers without a restart", async () => {
    const logger = recordingLogger();
    const verifier = verifierOf(issuer, { logger });
    const token = await issuer.sign({ sub: "dave" });
    issuer.setDown(true);
    try {
      const error = await rejectsWithCode(verifier.verify(token), Code.Unavailable);
      assert.equal(
        error.rawMessage,
        `the OIDC issuer ${issuer.issuer} is unavailable; try again later`,
      );
      assert.deepEqual(logger.messages, [
        "the OIDC issuer cannot be used: the discovery document could not be fetched",
      ]);
    } finally {
      issuer.setDown(false);
    }
    assert.equal((await verifier.verify(token)).subject, "oidc:dave");
  });

  it("answers Unavailable when the JWKS cannot be fetched again", async () => {
    const logger = recordingLogger();
    const verifier = verifierOf(issuer, { logger });
    await verifier.verify(await issuer.sign({ sub: "dave" }));
    const unknownKid = await issuer.sign({ sub: "dave" }, { kid: "next-key" });
    issuer.setDown(true);
    try {
      await rejectsWithCode(verifier.verify(unknownKid), Code.Unavailable, /unavailable/);
    } finally {
      issuer.setDown(false);
    }
    assert.deepEqual(logger.messages, [
      "the OIDC issuer cannot be used: the JWKS could not be fetched",
    ]);
  });

  it("answers Unavailable, naming the issuer, when nothing listens there", async () => {
    const gone = await startOidcIssuer();
    await gone.stop();
    const error = await rejectsWithCode(
      verifierOf(gone).verify(await gone.sign({ sub: "dave" })),
      Code.Unavailable,
    );
    assert.ok(error.rawMessage.includes(gone.issuer), error.rawMessage);
  });

  it("answers Unavailable when the discovery document names another issuer", async () => {
    const logger = recordingLogger();
    const verifier = verifierOf(issuer, { issuer: `${issuer.issuer}/`, logger });
    await rejectsWithCode(verifier.verify(await issuer.sign({ sub: "dave" })), Code.Unavailable);
    assert.deepEqual(logger.messages, [
      "the OIDC issuer cannot be used: the discovery document names another issuer",
    ]);
  });
});

describe("createOidcVerifier and key rotation", () => {
  let issuer: OidcIssuer;
  before(async () => {
    issuer = await startOidcIssuer();
  });
  after(() => issuer.stop());

  it("picks up a rotated key without a new verifier, and drops the old one", async () => {
    const verifier = verifierOf(issuer, { jwksCooldownMs: 10 });
    const oldToken = await issuer.sign({ sub: "erin" });
    await verifier.verify(oldToken);
    await issuer.rotate();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const newToken = await issuer.sign({ sub: "erin" });
    assert.equal((await verifier.verify(newToken)).subject, "oidc:erin");
    await new Promise((resolve) => setTimeout(resolve, 20));
    await rejectsWithCode(
      verifier.verify(oldToken),
      Code.Unauthenticated,
      /is unknown to the issuer/,
    );
  });

  it("does not fetch the JWKS again for unknown kids within the cooldown", async () => {
    const verifier = verifierOf(issuer, { jwksCooldownMs: 60_000 });
    await verifier.verify(await issuer.sign({ sub: "erin" }));
    const fetched = issuer.jwksRequests();
    const unknown = await issuer.sign({ sub: "erin" }, { kid: "no-such-key" });
    await rejectsWithCode(verifier.verify(unknown), Code.Unauthenticated, /is unknown/);
    await rejectsWithCode(verifier.verify(unknown), Code.Unauthenticated, /is unknown/);
    assert.equal(issuer.jwksRequests(), fetched);
  });
});

describe("looksLikeJwt", () => {
  const cases: [string, boolean][] = [
    ["eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln-_", true],
    ["eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.", true],
    ["sherpa_0123456789abcdef", false],
    ["a.b", false],
    ["a.b.c.d", false],
    ["ab+.cd.ef", false],
    [".b.c", false],
  ];
  for (const [token, expected] of cases) {
    it(`${JSON.stringify(token)} -> ${expected}`, () => {
      assert.equal(looksLikeJwt(token), expected);
    });
  }
});
