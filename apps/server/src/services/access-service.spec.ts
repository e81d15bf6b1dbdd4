import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { toJsonString } from "@bufbuild/protobuf";
import { durationFromMs, timestampDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { rejectsWithCode } from "@sherpa/kit/testing";
import { ListTokensResponseSchema, Role, TokenKind } from "@sherpa/proto";
import { createPrincipal } from "../access/principal.js";
import { rejectsWithViolations } from "./testing/assert-connect-error.js";
import {
  createTestTransport,
  type TestTransport,
  testUser,
} from "./testing/create-test-transport.js";

describe("AccessService", () => {
  let api: TestTransport;
  beforeEach(async () => {
    api = await createTestTransport();
  });
  afterEach(() => api.close());

  it("tells callers who they are", async () => {
    const { principal } = await api
      .as(testUser("alice", "submitter", ["vision"]))
      .access.whoAmI({});
    assert.equal(principal?.subject, "alice");
    assert.equal(principal?.role, Role.SUBMITTER);
    assert.deepEqual(principal?.queues, ["vision"]);
    assert.ok(principal?.permissions.includes("tasks.submit"));
    assert.ok(!principal?.permissions.includes("tasks.cancel-any"));
  });

  it("creates a token whose secret is shown once and stored hashed", async () => {
    const created = await api.access.createToken({
      name: "alice",
      role: Role.SUBMITTER,
      queues: ["vision", "vision"],
      ttl: durationFromMs(3_600_000),
    });
    assert.match(created.secret, /^shp_[a-z2-7]{16}_[a-z2-7]{52}$/);
    assert.equal(created.token?.id, created.secret.slice(4, 20));
    assert.deepEqual(created.token?.queues, ["vision"]);
    assert.equal(created.token?.createdBy, "test-admin");
    assert.equal(
      created.token?.expireTime && timestampDate(created.token.expireTime).getTime(),
      api.clock.now().getTime() + 3_600_000,
    );
    const stored = await api.stores.credentials.findCredential(created.token?.id ?? "");
    assert.ok(stored);
    assert.ok(!created.secret.includes(stored.secretHash));
    const listed = await api.access.listTokens({});
    assert.ok(!toJsonString(ListTokensResponseSchema, listed).includes(created.secret.slice(21)));
  });

  it("refuses a token without a valid name, role or ttl", async () => {
    await rejectsWithViolations(
      api.access.createToken({
        name: "Alice Smith",
        role: Role.UNSPECIFIED,
        queues: ["not a queue"],
        ttl: durationFromMs(1000),
      }),
      ["name", "role", "queues[0]", "ttl"],
    );
  });

  it("lists active tokens newest first, and inactive ones when asked", async () => {
    const first = await api.access.createToken({ name: "alice", role: Role.VIEWER });
    api.clock.advance(1000);
    const second = await api.access.createToken({ name: "bob", role: Role.VIEWER });
    await api.access.revokeToken({ id: first.secret });
    const active = await api.access.listTokens({ kind: TokenKind.API });
    assert.deepEqual(
      active.tokens.map((token) => token.name),
      ["bob"],
    );
    const all = await api.access.listTokens({ kind: TokenKind.API, includeInactive: true });
    assert.deepEqual(
      all.tokens.map((token) => token.id),
      [second.token?.id, first.token?.id],
    );
    assert.ok(all.tokens[1]?.revokeTime);
  });

  it("answers NotFound for revoking an unknown token", async () => {
    await rejectsWithCode(api.access.revokeToken({ id: "nosuchtokenaaaaa" }), Code.NotFound);
  });

  it("enrolls a node once per join token and binds its name to the credential", async () => {
    const join = await api.access.createJoinToken({ labels: { zone: "lab" } });
    assert.match(join.secret, /^shj_/);
    assert.equal(
      join.token?.expireTime && timestampDate(join.token.expireTime).getTime(),
      api.clock.now().getTime() + 3_600_000,
      "a join token lives one hour unless told otherwise",
    );
    const joining = createPrincipal({
      id: join.token?.id ?? "",
      kind: "join",
      subject: `join:${join.token?.id}`,
      role: undefined,
      queues: [],
      nodeName: "",
      labels: { zone: "lab" },
      expireTime: undefined,
    });
    const enrolled = await api.agentsAs(joining).enroll({ nodeName: "gpu-01" });
    assert.match(enrolled.credential, /^shn_/);
    assert.deepEqual(enrolled.labels, { zone: "lab" });
    await rejectsWithCode(
      api.agentsAs(joining).enroll({ nodeName: "gpu-02" }),
      Code.FailedPrecondition,
    );

    const second = await api.access.createJoinToken({});
    const secondJoining = createPrincipal({ ...joining, id: second.token?.id ?? "" });
    await rejectsWithCode(
      api.agentsAs(secondJoining).enroll({ nodeName: "gpu-01" }),
      Code.AlreadyExists,
    );
    await api.access.revokeNodeCredential({ nodeName: "gpu-01" });
    const again = await api.agentsAs(secondJoining).enroll({ nodeName: "gpu-01" });
    assert.match(again.credential, /^shn_/);
  });

  it("keeps join tokens and user tokens away from each other's RPCs", async () => {
    const joining = createPrincipal({
      id: "join-1",
      kind: "join",
      subject: "join:join-1",
      role: undefined,
      queues: [],
      nodeName: "",
      labels: {},
      expireTime: undefined,
    });
    await rejectsWithCode(api.as(joining).tasks.listTasks({}), Code.PermissionDenied);
    await rejectsWithCode(
      api.agentsAs(testUser("alice", "admin")).enroll({ nodeName: "gpu-01" }),
      Code.PermissionDenied,
    );
  });
});
