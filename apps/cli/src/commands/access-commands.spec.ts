import * as assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AccessService, Role, TokenKind } from "@sherpa/proto";
import { createFakeAccessService, type FakeTokenInit } from "../testing/fake-access-service.js";
import { runCaptured, testNowMs } from "../testing/run-captured.js";
import { type FakeServer, startFakeServer } from "../testing/start-fake-server.js";

const day = 86_400_000;

// An admin, a submitter with queue grants and an expiry, a node credential and a revoked token.
const seedTokens = (): FakeTokenInit[] => [
  {
    secret: "shp_adminsecret",
    token: {
      id: "shp_admin",
      kind: TokenKind.API,
      name: "admin",
      role: Role.ADMIN,
      createTime: timestampFromMs(testNowMs - 2 * day),
    },
  },
  {
    secret: "shp_alicesecret",
    token: {
      id: "shp_alice",
      kind: TokenKind.API,
      name: "alice",
      role: Role.SUBMITTER,
      queues: ["research", "batch"],
      createTime: timestampFromMs(testNowMs - day),
      expireTime: timestampFromMs(testNowMs + 29 * day),
    },
  },
  {
    token: {
      id: "shn_node1",
      kind: TokenKind.NODE,
      name: "node-1",
      labels: { zone: "eu" },
      createTime: timestampFromMs(testNowMs - 3_600_000),
    },
  },
  {
    token: {
      id: "shp_old",
      kind: TokenKind.API,
      name: "ci",
      role: Role.VIEWER,
      createTime: timestampFromMs(testNowMs - 10 * day),
      revokeTime: timestampFromMs(testNowMs - 5 * day),
    },
  },
];

describe("sherpa whoami, tokens and node credentials", async () => {
  const access = createFakeAccessService(seedTokens());
  const server = await startFakeServer((router) => router.service(AccessService, access.service));
  after(() => server.close());
  beforeEach(() => {
    server.calls.length = 0;
  });
  const as = (token: string) => ({ env: { SHERPA_SERVER: server.url, SHERPA_TOKEN: token } });
  const admin = (...args: string[]) => runCaptured(args, as("shp_adminsecret"));

  describe("whoami", () => {
    it("shows the caller's subject, kind, role, queues and permissions", async () => {
      const { exitCode, stdout, stderr } = await runCaptured(["whoami"], as("shp_alicesecret"));
      assert.equal(exitCode, 0);
      assert.equal(stderr, "");
      assert.equal(
        stdout,
        [
          "Subject:      alice",
          "Kind:         TOKEN",
          "Role:         SUBMITTER",
          "Queues:       research,batch",
          "Permissions:  self.read",
          "Credential:   shp_alice",
          "Expires:      2024-05-30T12:00:00Z (in 29d)",
          "",
        ].join("\n"),
      );
      assert.deepEqual(server.calls, [
        { method: "sherpa.v1.AccessService/WhoAmI", authorization: "Bearer shp_alicesecret" },
      ]);
    });

    it("says 'all' queues and 'never' for a token without grants or expiry", async () => {
      const { stdout } = await admin("whoami");
      assert.match(stdout, /\nQueues: {7}all\n/);
      assert.match(stdout, /\nExpires: {6}never\n/);
    });

    it("prints the principal as JSON with --json", async () => {
      const { exitCode, stdout } = await admin("whoami", "--json");
      assert.equal(exitCode, 0);
      const principal = JSON.parse(stdout);
      assert.deepEqual(
        [principal.subject, principal.kind, principal.role],
        ["admin", "PRINCIPAL_KIND_TOKEN", "ROLE_ADMIN"],
      );
    });
  });

  describe("credential errors", () => {
    it("exits 3 and says how to pass a token when none was sent", async () => {
      const { exitCode, stdout, stderr } = await runCaptured(["--server", server.url, "whoami"]);
      assert.equal(exitCode, 3);
      assert.equal(stdout, "");
      assert.equal(
        stderr,
        [
          "sherpa: Unauthenticated: missing credential: send authorization: Bearer TOKEN",
          "sherpa: no token was sent (none given with --token or SHERPA_TOKEN); pass one with --token TOKEN or SHERPA_TOKEN, or save one with `sherpa login`",
          "",
        ].join("\n"),
      );
      assert.equal(server.calls[0]?.authorization, null);
    });

    it("names the profile it looked in when none was sent", async () => {
      const { exitCode, stderr } = await runCaptured(["--server", server.url, "whoami"], {
        env: { SHERPA_PROFILE: "/nonexistent/profile.json" },
      });
      assert.equal(exitCode, 3);
      assert.match(
        stderr,
        /\nsherpa: no token was sent \(none given with --token or SHERPA_TOKEN, nor in the profile \/nonexistent\/profile\.json\); pass one/,
      );
    });

    it("exits 3 and names where a refused token came from", async () => {
      const { exitCode, stderr } = await runCaptured(["whoami"], as("shp_wrong"));
      assert.equal(exitCode, 3);
      assert.match(
        stderr,
        /\nsherpa: the server did not accept the token from SHERPA_TOKEN \(revoked, expired, or for another server\); pass one with --token/,
      );
      assert.doesNotMatch(stderr, /shp_wrong/);
    });

    it("exits 4 when the token's role does not allow the call, pointing at whoami", async () => {
      const { exitCode, stdout, stderr } = await runCaptured(
        ["tokens", "list", "--token", "shp_alicesecret"],
        { env: { SHERPA_SERVER: server.url } },
      );
      assert.equal(exitCode, 4);
      assert.equal(stdout, "");
      assert.equal(
        stderr,
        [
          "sherpa: PermissionDenied: alice may not manage access (needs access.manage)",
          "sherpa: the token from --token does not allow this; `sherpa whoami` shows its role, queues and permissions, and an admin can create one that does with `sherpa tokens create`",
          "",
        ].join("\n"),
      );
    });
  });

  describe("tokens create", () => {
    it("prints the secret alone on stdout and, on stderr, what it is and that it is shown once", async () => {
      const { exitCode, stdout, stderr } = await admin(
        ...["tokens", "create", "--name", "bob", "--role", "submitter"],
        ...["--queues", "research,batch", "--ttl", "30d"],
      );
      assert.equal(exitCode, 0);
      assert.equal(stdout, "shp_created1secret\n");
      assert.equal(
        stderr,
        [
          "Created api token shp_created1, for bob, role SUBMITTER, queues research,batch, expires 2024-05-31T12:00:00Z (in 30d).",
          "Store the secret now: it cannot be shown again. Use it with --token, SHERPA_TOKEN or `sherpa login`.",
          "",
        ].join("\n"),
      );
      const [request] = access.requests.createToken.slice(-1);
      assert.deepEqual(
        [request?.name, request?.role, request?.queues, request?.ttl?.seconds],
        ["bob", Role.SUBMITTER, ["research", "batch"], 2_592_000n],
      );
    });

    it("creates a token the new owner can call with at once", async () => {
      const { stdout } = await admin("tokens", "create", "--name", "carol", "--role", "viewer");
      const { exitCode, stdout: who } = await runCaptured(["whoami"], as(stdout.trim()));
      assert.equal(exitCode, 0);
      assert.match(who, /^Subject: {6}carol\nKind: {9}TOKEN\nRole: {9}VIEWER\n/);
    });

    it("prints the response, secret included, as JSON with --json", async () => {
      const { exitCode, stdout, stderr } = await admin(
        ...["tokens", "create", "--name", "dave", "--role", "ADMIN", "--json"],
      );
      assert.equal(exitCode, 0);
      assert.equal(stderr, "");
      const response = JSON.parse(stdout);
      assert.match(response.secret, /^shp_created\d+secret$/);
      assert.deepEqual([response.token.name, response.token.role], ["dave", "ROLE_ADMIN"]);
    });

    const usageErrors: [string[], string][] = [
      [["--role", "viewer"], "missing --name"],
      [["--name", "x"], "missing --role"],
      [
        ["--name", "x", "--role", "root"],
        '--role must be viewer, submitter, operator or admin, got "root"',
      ],
      [
        ["--name", "x", "--role", "viewer", "--ttl", "forever"],
        '--ttl must be a duration such as 30s, 5m, 1h, 1h30m or 30d, got "forever"',
      ],
    ];
    for (const [args, message] of usageErrors) {
      it(`exits 2 without calling for ${JSON.stringify(args)}`, async () => {
        const { exitCode, stderr } = await admin("tokens", "create", ...args);
        assert.equal(exitCode, 2);
        assert.ok(stderr.startsWith(`sherpa: ${message}\n`), stderr);
        assert.deepEqual(server.calls, []);
      });
    }
  });

  describe("tokens list", () => {
    // A server of its own, so that tokens other tests create do not change the tables.
    const listed = createFakeAccessService(seedTokens());
    let listServer: FakeServer;
    before(async () => {
      listServer = await startFakeServer((router) => router.service(AccessService, listed.service));
    });
    after(() => listServer.close());
    beforeEach(() => {
      listServer.calls.length = 0;
    });
    const list = (...args: string[]) =>
      runCaptured(["tokens", "list", ...args], {
        env: { SHERPA_SERVER: listServer.url, SHERPA_TOKEN: "shp_adminsecret" },
      });

    it("lists the tokens of one kind", async () => {
      const { exitCode, stdout } = await list("--kind", "node");
      assert.equal(exitCode, 0);
      assert.equal(
        stdout,
        [
          "ID         KIND  NAME    ROLE  QUEUES  CREATED  EXPIRES  REVOKED",
          "shn_node1  NODE  node-1                1h ago   never",
          "",
        ].join("\n"),
      );
    });

    it("includes revoked and expired tokens with --all", async () => {
      const { exitCode, stdout } = await admin("tokens", "list", "--all", "--kind", "api");
      assert.equal(exitCode, 0);
      const lines = stdout.trimEnd().split("\n");
      assert.equal(
        lines[0],
        "ID            KIND  NAME   ROLE       QUEUES          CREATED  EXPIRES  REVOKED",
      );
      assert.ok(
        lines.includes("shp_alice     API   alice  SUBMITTER  research,batch  1d ago   in 29d"),
        stdout,
      );
      assert.ok(
        lines.includes(
          "shp_old       API   ci     VIEWER     all             10d ago  never    5d ago",
        ),
        stdout,
      );
      const request = access.requests.listTokens.at(-1);
      assert.deepEqual([request?.kind, request?.includeInactive], [TokenKind.API, true]);
    });

    it("leaves revoked tokens out without --all and reads every page", async () => {
      const { stdout } = await list();
      assert.deepEqual(
        stdout
          .split("\n")
          .slice(1, -1)
          .map((line) => line.split(" ")[0]),
        ["shp_admin", "shp_alice", "shn_node1"],
      );
      assert.deepEqual(
        listServer.calls.map((call) => call.authorization),
        ["Bearer shp_adminsecret", "Bearer shp_adminsecret"],
      );
    });

    it("prints one JSON token per line with --json", async () => {
      const { stdout } = await list("--kind", "node", "--json");
      assert.deepEqual(JSON.parse(stdout), {
        id: "shn_node1",
        kind: "TOKEN_KIND_NODE",
        name: "node-1",
        labels: { zone: "eu" },
        createTime: "2024-05-01T11:00:00Z",
      });
    });

    it("exits 2 for an unknown --kind", async () => {
      const { exitCode, stderr } = await list("--kind", "oidc");
      assert.equal(exitCode, 2);
      assert.ok(stderr.startsWith('sherpa: --kind must be api, join or node, got "oidc"\n'));
    });
  });

  describe("tokens revoke", () => {
    it("revokes a token, after which it is refused", async () => {
      const { stdout: secret } = await admin(
        "tokens",
        "create",
        "--name",
        "eve",
        "--role",
        "viewer",
      );
      const id = secret.trim().replace(/secret$/, "");
      assert.deepEqual(await admin("tokens", "revoke", id), {
        exitCode: 0,
        stdout: `token ${id} (eve) revoked\n`,
        stderr: "",
      });
      const { exitCode } = await runCaptured(["whoami"], as(secret.trim()));
      assert.equal(exitCode, 3);
    });

    it("reports an unknown token", async () => {
      const { exitCode, stderr } = await admin("tokens", "revoke", "shp_nope");
      assert.equal(exitCode, 1);
      assert.equal(stderr, "sherpa: NotFound: token shp_nope not found\n");
    });
  });

  describe("nodes join-token create", () => {
    it("prints the join token and the sherpa-agent command that enrolls a node", async () => {
      const { exitCode, stdout, stderr } = await admin(
        ...["nodes", "join-token", "create", "--ttl", "2h", "--labels", "zone=eu,gpu=h100"],
      );
      assert.equal(exitCode, 0);
      const secret = stdout.trim();
      assert.match(secret, /^shj_join\d+secret$/);
      assert.equal(
        stderr,
        [
          `Created join token ${secret.replace(/secret$/, "")}, labels gpu=h100, zone=eu, expires 2024-05-01T14:00:00Z (in 2h).`,
          "It enrolls one node, once. On the node, run:",
          `  sherpa-agent --server ${server.url} --join-token ${secret}`,
          `(${server.url} is a loopback address: on another machine, use one that reaches the server)`,
          "",
        ].join("\n"),
      );
      const request = access.requests.createJoinToken.at(-1);
      assert.deepEqual(request?.labels, { zone: "eu", gpu: "h100" });
      assert.equal(request?.ttl?.seconds, 7_200n);
    });

    it("leaves the ttl to the server when --ttl is not given", async () => {
      const { exitCode, stderr } = await admin("nodes", "join-token", "create");
      assert.equal(exitCode, 0);
      assert.equal(access.requests.createJoinToken.at(-1)?.ttl, undefined);
      assert.match(stderr, /expires 2024-05-01T13:00:00Z \(in 1h\)/);
    });

    it("prints the response as JSON with --json", async () => {
      const { stdout, stderr } = await admin("nodes", "join-token", "create", "--json");
      assert.equal(stderr, "");
      const response = JSON.parse(stdout);
      assert.match(response.secret, /^shj_/);
      assert.equal(response.token.kind, "TOKEN_KIND_JOIN");
    });

    it("exits 2 for labels without =", async () => {
      const { exitCode, stderr } = await admin(
        "nodes",
        "join-token",
        "create",
        "--labels",
        "a=1,b",
      );
      assert.equal(exitCode, 2);
      assert.ok(stderr.startsWith('sherpa: --labels must be KEY=VALUE, got "b"\n'));
    });
  });

  describe("nodes revoke-credential", () => {
    it("revokes an enrolled node's credential", async () => {
      assert.deepEqual(await admin("nodes", "revoke-credential", "node-1"), {
        exitCode: 0,
        stdout: "credential of node node-1 (shn_node1) revoked\n",
        stderr: "",
      });
    });

    it("reports a node without a credential", async () => {
      const { exitCode, stderr } = await admin("nodes", "revoke-credential", "node-9");
      assert.equal(exitCode, 1);
      assert.equal(stderr, "sherpa: NotFound: node node-9 has no credential\n");
    });
  });
});
