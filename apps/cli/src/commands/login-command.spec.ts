import * as assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { after, afterEach, describe, it } from "node:test";
import { AccessService, Role, TokenKind } from "@sherpa/proto";
import type { InputSource } from "../cli-io.js";
import { createFakeAccessService } from "../testing/fake-access-service.js";
import { runCaptured } from "../testing/run-captured.js";
import { startFakeServer } from "../testing/start-fake-server.js";

const secret = "shp_alicesecret";

describe("sherpa login", async () => {
  const access = createFakeAccessService([
    { secret, token: { id: "shp_alice", kind: TokenKind.API, name: "alice", role: Role.OPERATOR } },
  ]);
  const server = await startFakeServer((router) => router.service(AccessService, access.service));
  const dir = await mkdtemp(join(tmpdir(), "sherpa-login-"));
  // In a folder that does not exist yet, to show that login creates it.
  const profilePath = join(dir, "config", "sherpa", "profile.json");
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => rm(join(dir, "config"), { recursive: true, force: true }));
  const env = { SHERPA_PROFILE: profilePath };
  const login = (args: string[], stdin?: InputSource, extraEnv: Record<string, string> = {}) =>
    runCaptured(["login", "--server", server.url, ...args], {
      env: { ...env, ...extraEnv },
      ...(stdin === undefined ? {} : { stdin }),
    });

  const savedProfile = async () => JSON.parse(await readFile(profilePath, "utf8"));

  it("checks --token with WhoAmI, saves it with the server and shows who you are", async () => {
    const { exitCode, stdout, stderr } = await login(["--token", secret]);
    assert.equal(exitCode, 0);
    assert.match(stdout, /^Subject: {6}alice\nKind: {9}TOKEN\nRole: {9}OPERATOR\n/);
    assert.equal(stderr, `Logged in to ${server.url}; saved it and the token in ${profilePath}\n`);
    assert.doesNotMatch(stdout + stderr, new RegExp(secret));
    assert.deepEqual(await savedProfile(), { server: server.url, token: secret });
  });

  it("writes the profile readable by its owner only, in a folder only they can enter", async () => {
    await login(["--token", secret]);
    assert.equal((await stat(profilePath)).mode & 0o777, 0o600);
    assert.equal((await stat(join(profilePath, ".."))).mode & 0o777, 0o700);
  });

  it("reads the token from piped standard input", async () => {
    const { exitCode, stderr } = await login([], Readable.from([`${secret}\n`]));
    assert.equal(exitCode, 0);
    assert.doesNotMatch(stderr, /Token:/);
    assert.equal((await savedProfile()).token, secret);
  });

  it("prompts on a terminal without echoing what is typed", async () => {
    const rawModes: boolean[] = [];
    const terminal = Object.assign(new PassThrough(), {
      isTTY: true,
      setRawMode(mode: boolean) {
        rawModes.push(mode);
        return terminal;
      },
    });
    const run = login([], terminal);
    terminal.write(`${secret}\r`);
    const { exitCode, stderr } = await run;
    assert.equal(exitCode, 0);
    assert.equal(
      stderr,
      `Token: \nLogged in to ${server.url}; saved it and the token in ${profilePath}\n`,
    );
    assert.deepEqual(rawModes, [true, false]);
    assert.equal((await savedProfile()).token, secret);
  });

  it("exits 130 on Ctrl-C at the prompt, saving nothing", async () => {
    const terminal = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => terminal });
    const run = login([], terminal);
    terminal.write("shp_half\u0003");
    const { exitCode, stderr } = await run;
    assert.equal(exitCode, 130);
    assert.equal(stderr, "Token: \n");
    await assert.rejects(stat(profilePath), { code: "ENOENT" });
  });

  it("exits 3 and saves nothing when the server does not accept the token", async () => {
    const { exitCode, stdout, stderr } = await login(["--token", "shp_wrong"]);
    assert.equal(exitCode, 3);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      [
        "sherpa: Unauthenticated: unknown, revoked or expired token",
        `sherpa: ${server.url} did not accept this token; nothing was saved`,
        "",
      ].join("\n"),
    );
    await assert.rejects(stat(profilePath), { code: "ENOENT" });
  });

  const noToken: [string, InputSource | undefined, string][] = [
    [
      "empty standard input",
      Readable.from([]),
      "sherpa: no token on standard input: pass --token TOKEN or pipe the token in\n",
    ],
    [
      "no standard input",
      undefined,
      "sherpa: no token: pass --token TOKEN or give it on standard input\n",
    ],
    ["a blank line", Readable.from(["  \n"]), "sherpa: the token from standard input is empty\n"],
  ];
  for (const [label, stdin, message] of noToken) {
    it(`exits 1 for ${label}`, async () => {
      const { exitCode, stderr } = await login([], stdin);
      assert.equal(exitCode, 1);
      assert.equal(stderr, message);
    });
  }

  it("saves the token typed, not SHERPA_TOKEN, and replaces a broken profile", async () => {
    await login(["--token", secret]);
    await writeFile(profilePath, "{broken");
    const { exitCode } = await login([], Readable.from([`${secret}\n`]), {
      SHERPA_TOKEN: "shp_wrong",
    });
    assert.equal(exitCode, 0);
    assert.deepEqual(await savedProfile(), { server: server.url, token: secret });
  });

  it("gives later commands their server and token", async () => {
    await login(["--token", secret]);
    server.calls.length = 0;
    const { exitCode, stdout } = await runCaptured(["whoami"], { env });
    assert.equal(exitCode, 0);
    assert.match(stdout, /^Subject: {6}alice\n/);
    assert.deepEqual(server.calls, [
      { method: "sherpa.v1.AccessService/WhoAmI", authorization: `Bearer ${secret}` },
    ]);
  });

  it("fails when it cannot tell where the profile goes", async () => {
    const { exitCode, stderr } = await runCaptured([
      "login",
      "--server",
      server.url,
      "--token",
      secret,
    ]);
    assert.equal(exitCode, 1);
    assert.equal(
      stderr,
      "sherpa: cannot tell where to save the profile: set SHERPA_PROFILE or HOME\n",
    );
  });
});
