import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type OidcIssuer, startOidcIssuer } from "@sherpa/kit/testing/oidc-issuer";
import { PrincipalKind, Role, TaskState } from "@sherpa/proto";
import { Code, createSherpaClient, type SherpaClient, type SherpaProtocol } from "@sherpa/sdk";
import { generateKeyPair, type JWTPayload } from "jose";
import { accessOf } from "./support/access-clients.js";
import { reasonOf, rpcErrorOf } from "./support/rpc-error-of.js";
import { type StartedServer, startServer } from "./support/start-server.js";

const protocols: readonly SherpaProtocol[] = ["connect", "grpc", "grpc-web"];

describe("bearer JWTs of the configured OIDC issuer", () => {
  let issuer: OidcIssuer;
  let server: StartedServer;
  let admin: SherpaClient;

  const clientWith = (token: string, protocol: SherpaProtocol = "connect") =>
    createSherpaClient({ baseUrl: server.baseUrl, protocol, token, timeoutMs: 5000 });

  before(async () => {
    issuer = await startOidcIssuer();
    server = await startServer({
      env: {
        SHERPA_OIDC_ISSUER: issuer.issuer,
        SHERPA_OIDC_AUDIENCE: issuer.audience,
        // Every unknown kid is looked up again at once, so a rotation is seen on the next call.
        SHERPA_OIDC_JWKS_COOLDOWN_MS: "0",
        // Refusals are this file's subject; the per-peer failure limit is rate-limit.test.ts's.
        SHERPA_AUTH_FAILURES_PER_MINUTE: "1000000",
      },
    });
    admin = createSherpaClient({
      baseUrl: server.baseUrl,
      token: server.adminToken,
      timeoutMs: 5000,
    });
    await admin.queues.createQueue({ queue: { name: "vision", resourceGroups: ["all-nodes"] } });
  });
  after(async () => {
    await server?.stop();
    await issuer?.stop();
  });

  const submitterClaims: JWTPayload = {
    sub: "alice",
    groups: ["staff", "sherpa:submitter", "sherpa:queue:vision", "other:admin"],
  };

  for (const protocol of protocols) {
    test(`WhoAmI over ${protocol}: subject oidc:<sub>, with the role and queues of the groups claim`, async () => {
      const client = clientWith(await issuer.sign(submitterClaims), protocol);
      const { principal } = await accessOf(client).whoAmI({});
      assert.equal(principal?.subject, "oidc:alice");
      assert.equal(principal?.kind, PrincipalKind.OIDC);
      assert.equal(principal?.role, Role.SUBMITTER, "other:admin is not Sherpa's entry");
      assert.deepEqual(principal?.queues, ["vision"]);
    });
  }

  test("the highest role of several entries wins; an ES256 token is accepted too", async () => {
    const client = clientWith(
      await issuer.sign(
        { sub: "bob", groups: ["sherpa:viewer", "sherpa:operator"] },
        { alg: "ES256" },
      ),
    );
    const { principal } = await accessOf(client).whoAmI({});
    assert.equal(principal?.subject, "oidc:bob");
    assert.equal(principal?.role, Role.OPERATOR);
    assert.deepEqual(principal?.queues, []);
  });

  test("a submitter JWT submits to its queue and owns the task, but not to another queue", async () => {
    const client = clientWith(await issuer.sign(submitterClaims));
    const { task } = await client.tasks.submitTask({ queue: "vision", argv: ["true"] });
    assert.equal(task?.owner, "oidc:alice");
    assert.equal(task?.state, TaskState.PENDING);
    const { tasks } = await client.tasks.listTasks({ owner: "me" });
    assert.deepEqual(
      tasks.map((listed) => listed.id),
      [task?.id],
    );

    const refused = await rpcErrorOf(client.tasks.submitTask({ queue: "default", argv: ["true"] }));
    assert.equal(refused.code, Code.PermissionDenied, refused.message);
  });

  test("a JWT without any Sherpa entry authenticates but may do nothing beyond WhoAmI", async () => {
    const client = clientWith(await issuer.sign({ sub: "carol", groups: ["staff"] }));
    const { principal } = await accessOf(client).whoAmI({});
    assert.equal(principal?.subject, "oidc:carol");
    assert.equal(principal?.role, Role.UNSPECIFIED);
    const refused = await rpcErrorOf(client.tasks.listTasks({}));
    assert.equal(refused.code, Code.PermissionDenied, refused.message);
  });

  test("Sherpa entries in another claim than SHERPA_OIDC_CLAIM give no role", async () => {
    const client = clientWith(
      await issuer.sign({ sub: "mallory", roles: ["sherpa:admin"], groups: ["sherpa:viewer"] }),
    );
    const { principal } = await accessOf(client).whoAmI({});
    assert.equal(principal?.role, Role.VIEWER);
    const refused = await rpcErrorOf(
      accessOf(client).createToken({ name: "mallory", role: Role.ADMIN }),
    );
    assert.equal(refused.code, Code.PermissionDenied, refused.message);
  });

  describe("a refused JWT gets Unauthenticated, on unary and streaming calls", () => {
    const adminClaims: JWTPayload = { sub: "eve", groups: ["sherpa:admin"] };
    const refusals: Record<string, () => Promise<string>> = {
      "a wrong audience": () => issuer.sign({ ...adminClaims, aud: "another-service" }),
      "a wrong issuer": () => issuer.sign({ ...adminClaims, iss: "https://issuer.example" }),
      "an expired one": () => issuer.sign(adminClaims, { expiresIn: -60 }),
      "one with no exp": () => issuer.sign(adminClaims, { expiresIn: null }),
      "one with no sub": () => issuer.sign({ groups: ["sherpa:admin"] }),
      "alg none": async () => issuer.signNone(adminClaims),
      "HS256 keyed with the issuer's public key": () => issuer.signHs256WithPublicKey(adminClaims),
      "an unknown kid": () => issuer.sign(adminClaims, { kid: "no-such-key" }),
      "a foreign key under the issuer's kid": async () => {
        const { privateKey } = await generateKeyPair("RS256");
        return issuer.sign(adminClaims, { key: privateKey });
      },
      "a tampered payload": async () => {
        const [header, , signature] = (await issuer.sign({ sub: "eve", groups: [] })).split(".");
        const payload = Buffer.from(
          JSON.stringify({
            iss: issuer.issuer,
            aud: issuer.audience,
            exp: Math.floor(Date.now() / 1000) + 300,
            ...adminClaims,
          }),
        ).toString("base64url");
        return `${header}.${payload}.${signature}`;
      },
    };

    for (const protocol of protocols) {
      for (const [name, makeToken] of Object.entries(refusals)) {
        test(`${protocol}, ${name}: WhoAmI and WatchTasks are Unauthenticated`, async () => {
          const client = clientWith(await makeToken(), protocol);
          const unary = await rpcErrorOf(accessOf(client).whoAmI({}));
          assert.equal(unary.code, Code.Unauthenticated, unary.message);
          assert.equal(reasonOf(unary), "JWT_INVALID", unary.message);
          const stream = await rpcErrorOf(client.tasks.watchTasks({ includeCurrent: true }));
          assert.equal(stream.code, Code.Unauthenticated, stream.message);
          assert.equal(reasonOf(stream), "JWT_INVALID", stream.message);
        });
      }
    }
  });

  test("a key rotation at the issuer is picked up without a restart; the retired key is refused", async () => {
    const before = await issuer.sign({ sub: "rotating", groups: ["sherpa:viewer"] });
    await accessOf(clientWith(before)).whoAmI({});

    await issuer.rotate();
    const afterRotation = await issuer.sign({ sub: "rotating", groups: ["sherpa:viewer"] });
    const { principal } = await accessOf(clientWith(afterRotation)).whoAmI({});
    assert.equal(principal?.subject, "oidc:rotating");

    const retired = await rpcErrorOf(accessOf(clientWith(before)).whoAmI({}));
    assert.equal(retired.code, Code.Unauthenticated, retired.message);
  });

  test("while the issuer is down, a JWT with a new kid gets Unavailable, and works once it is back", async () => {
    await issuer.rotate();
    const token = await issuer.sign({ sub: "patient", groups: ["sherpa:viewer"] });
    issuer.setDown(true);
    try {
      const error = await rpcErrorOf(accessOf(clientWith(token)).whoAmI({}));
      assert.equal(error.code, Code.Unavailable, error.message);
      assert.equal(reasonOf(error), "ISSUER_UNAVAILABLE", error.message);
    } finally {
      issuer.setDown(false);
    }
    const { principal } = await accessOf(clientWith(token)).whoAmI({});
    assert.equal(principal?.subject, "oidc:patient");
  });

  test("an admin cannot make an API token whose name is an OIDC or node subject", async () => {
    for (const name of ["oidc:alice", "node:gpu-1"]) {
      const error = await rpcErrorOf(accessOf(admin).createToken({ name, role: Role.SUBMITTER }));
      assert.equal(error.code, Code.InvalidArgument, `${name}: ${error.message}`);
    }
  });

  test("a stream opened with a JWT ends with Unauthenticated once the JWT expires", async () => {
    const { task } = await admin.tasks.submitTask({ argv: ["true"] });
    assert.ok(task);
    const lifetimeSeconds = 2;
    const token = await issuer.sign(
      { sub: "short-lived", groups: ["sherpa:viewer"] },
      { expiresIn: lifetimeSeconds },
    );
    const expiresAtMs = (Math.floor(Date.now() / 1000) + lifetimeSeconds) * 1000;
    const events = clientWith(token, "grpc")
      .tasks.watchTasks({ taskIds: [task.id], includeCurrent: true }, { timeoutMs: 30_000 })
      [Symbol.asyncIterator]();
    const { value: current } = await events.next();
    assert.equal(current?.task?.id, task.id, "the stream is open while the JWT is valid");

    // Waiting out the JWT's lifetime is the behaviour under test, not synchronisation.
    await sleep(Math.max(0, expiresAtMs - Date.now()) + 100);
    await admin.tasks.cancelTask({ id: task.id });
    const error = await rpcErrorOf({ [Symbol.asyncIterator]: () => events });
    assert.equal(error.code, Code.Unauthenticated, error.message);
    assert.equal(reasonOf(error), "JWT_INVALID", error.message);
  });

  test("Sherpa's own tokens still work beside OIDC", async () => {
    const { principal } = await accessOf(admin).whoAmI({});
    assert.equal(principal?.role, Role.ADMIN);
    assert.equal(principal?.kind, PrincipalKind.TOKEN);
  });
});
