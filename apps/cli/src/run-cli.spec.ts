import * as assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { TaskService, TaskState } from "@sherpa/proto";
import { runCaptured } from "./testing/run-captured.js";
import { type FakeServer, startFakeServer } from "./testing/start-fake-server.js";

describe("runCli", () => {
  describe("help and usage errors", () => {
    it("prints every command on --help and exits 0", async () => {
      const { exitCode, stdout, stderr } = await runCaptured(["--help"]);
      assert.equal(exitCode, 0);
      assert.match(stdout, /^Usage: sherpa \[global options\] GROUP COMMAND/);
      for (const command of [
        "tasks submit",
        "tasks logs",
        "queues create",
        "gpus list",
        "nodes cordon",
        "nodes join-token create",
        "nodes revoke-credential",
        "tokens create",
        "whoami",
        "login",
      ]) {
        assert.match(stdout, new RegExp(`\\n  ${command} `));
      }
      assert.match(stdout, /\n {6}--token TOKEN {4}API token to call with/);
      assert.match(stdout, /\nExit status:\n(.*\n)* {2}3 {4}not authenticated/);
      assert.match(stdout, /\n {2}4 {4}permission denied/);
      assert.equal(stderr, "");
    });

    const helps: [string[], RegExp][] = [
      [["whoami", "--help"], /^Usage: sherpa whoami \[options\]\n\nShow who/],
      [["--help", "login"], /^Usage: sherpa login \[options\]\n/],
      [
        ["nodes", "join-token", "create", "-h"],
        /^Usage: sherpa nodes join-token create \[options\]\n/,
      ],
      [
        ["tokens", "--help"],
        /^Usage: sherpa tokens COMMAND \[options\]\n\nCommands:\n {2}tokens create /,
      ],
      [
        ["nodes", "join-token", "--help"],
        /^Usage: sherpa nodes join-token COMMAND \[options\]\n\nCommands:\n {2}nodes join-token create {2}Create/,
      ],
    ];
    for (const [argv, usage] of helps) {
      it(`prints the help of \`${argv.join(" ")}\``, async () => {
        const { exitCode, stdout } = await runCaptured(argv);
        assert.equal(exitCode, 0);
        assert.match(stdout, usage);
      });
    }

    it("prints a command's options on `tasks logs --help`", async () => {
      const { exitCode, stdout } = await runCaptured(["tasks", "logs", "--help"]);
      assert.equal(exitCode, 0);
      assert.match(stdout, /^Usage: sherpa tasks logs \[options\] ID\n/);
      assert.match(
        stdout,
        /\n {2}-f, --follow {4}keep printing new lines until the task ends\n {6}--offset N {2}start at line N/,
      );
      assert.match(stdout, /\nGlobal options:\n {6}--server URL {5}server address/);
    });

    it("lists a group's commands on `sherpa queues --help`", async () => {
      const { exitCode, stdout } = await runCaptured(["queues", "--help"]);
      assert.equal(exitCode, 0);
      assert.match(stdout, /^Usage: sherpa queues COMMAND/);
      assert.match(stdout, /queues create/);
      assert.doesNotMatch(stdout, /tasks submit/);
    });

    const usageErrors: [string, string[], RegExp, RegExp][] = [
      ["no command", [], /^sherpa: missing command\n/, /Usage: sherpa \[global options\]/],
      [
        "an unknown group",
        ["jobs", "list"],
        /^sherpa: unknown command "jobs"\n/,
        /Usage: sherpa \[global/,
      ],
      [
        "an unknown command",
        ["tasks", "lst"],
        /^sherpa: unknown command "tasks lst"\n/,
        /Usage: sherpa tasks COMMAND/,
      ],
      [
        "an unknown option",
        ["tasks", "list", "--colour"],
        /^sherpa: Unknown option '--colour'/,
        /Usage: sherpa tasks list/,
      ],
      [
        "a missing value",
        ["tasks", "list", "--queue"],
        /^sherpa: Option '--queue <value>' argument missing/,
        /Usage: sherpa tasks list/,
      ],
      [
        "a missing operand",
        ["tasks", "get"],
        /^sherpa: missing task ID\n/,
        /Usage: sherpa tasks get \[options\] ID/,
      ],
      [
        "too many operands",
        ["tasks", "get", "a", "b"],
        /^sherpa: expected one task ID, got 2\n/,
        /Usage: sherpa tasks get/,
      ],
      [
        "an unknown subcommand",
        ["nodes", "join-token", "list"],
        /^sherpa: unknown command "nodes join-token list"\n/,
        /Usage: sherpa nodes join-token COMMAND/,
      ],
      [
        "a missing subcommand",
        ["nodes", "join-token"],
        /^sherpa: missing command\n/,
        /Usage: sherpa nodes join-token COMMAND/,
      ],
      [
        "an operand whoami does not take",
        ["whoami", "me"],
        /^sherpa: unexpected argument "me"\n/,
        /Usage: sherpa whoami \[options\]/,
      ],
      [
        "a bad --protocol",
        ["--protocol", "soap", "tasks", "list"],
        /--protocol must be one of connect, grpc, grpc-web, got "soap"/,
        /Usage: sherpa tasks list/,
      ],
      [
        "a bad --server",
        ["tasks", "list", "--server", "localhost:8080"],
        /server address must be an http:\/\/ or https:\/\/ URL, got "localhost:8080" \(from --server\)/,
        /Usage/,
      ],
      [
        "an unknown leading option",
        ["--queue", "q", "tasks", "list"],
        /^sherpa: Unknown option '--queue'/,
        /Usage: sherpa \[global options\]/,
      ],
    ];
    for (const [label, argv, message, usage] of usageErrors) {
      it(`exits 2 with the message and usage for ${label}`, async () => {
        const { exitCode, stdout, stderr } = await runCaptured(argv);
        assert.equal(exitCode, 2);
        assert.equal(stdout, "");
        assert.match(stderr, message);
        assert.match(stderr, usage);
      });
    }
  });

  describe("choosing the server", () => {
    let server: FakeServer;
    let grpcServer: FakeServer;
    const routes = (router: import("@connectrpc/connect").ConnectRouter) =>
      router.service(TaskService, {
        getTask: (request) => ({ task: { id: request.id, state: TaskState.RUNNING } }),
      });
    before(async () => {
      server = await startFakeServer(routes);
      grpcServer = await startFakeServer(routes, "2");
    });
    after(async () => {
      await server.close();
      await grpcServer.close();
    });

    const ways: [string, (url: string) => string[], (url: string) => Record<string, string>][] = [
      [
        "--server before the command",
        (url) => ["--server", url, "tasks", "get", "t-1"],
        () => ({}),
      ],
      [
        "--server= after the command",
        (url) => ["tasks", "get", "t-1", `--server=${url}`],
        () => ({}),
      ],
      ["SHERPA_SERVER", () => ["tasks", "get", "t-1"], (url) => ({ SHERPA_SERVER: url })],
      [
        "--server over SHERPA_SERVER",
        (url) => ["tasks", "get", "--server", url, "t-1"],
        () => ({ SHERPA_SERVER: "http://127.0.0.1:1" }),
      ],
    ];
    for (const [label, argv, env] of ways) {
      it(`calls the server named by ${label}`, async () => {
        const { exitCode, stdout } = await runCaptured(argv(server.url), { env: env(server.url) });
        assert.equal(exitCode, 0);
        assert.match(stdout, /^ID: {5}t-1\nState: {2}RUNNING\n/);
      });
    }

    for (const protocol of ["connect", "grpc-web"]) {
      it(`speaks --protocol ${protocol} over HTTP/1.1`, async () => {
        const run = await runCaptured([
          "--server",
          server.url,
          "--protocol",
          protocol,
          "tasks",
          "get",
          "t-2",
        ]);
        assert.equal(run.exitCode, 0);
        assert.match(run.stdout, /^ID: {5}t-2\n/);
      });
    }

    it("speaks --protocol grpc over cleartext HTTP/2", async () => {
      const run = await runCaptured([
        "--server",
        grpcServer.url,
        "--protocol",
        "grpc",
        "tasks",
        "get",
        "t-3",
      ]);
      assert.equal(run.exitCode, 0);
      assert.match(run.stdout, /^ID: {5}t-3\n/);
    });

    it("says how to point at the server when nothing answers", async () => {
      const closed = await startFakeServer(routes);
      await closed.close();
      const { exitCode, stdout, stderr } = await runCaptured([
        "--server",
        closed.url,
        "tasks",
        "get",
        "t-1",
      ]);
      assert.equal(exitCode, 1);
      assert.equal(stdout, "");
      assert.match(stderr, /^sherpa: Unavailable: .*ECONNREFUSED/);
      assert.match(
        stderr,
        new RegExp(
          `no Sherpa server answered at ${closed.url} \\(from --server\\); check --server, SHERPA_SERVER or the profile\\n$`,
        ),
      );
    });

    it("reports a method the server does not implement by its code", async () => {
      const { exitCode, stderr } = await runCaptured(["--server", server.url, "queues", "list"]);
      assert.equal(exitCode, 1);
      assert.match(stderr, /^sherpa: Unimplemented: /);
    });
  });

  describe("sending the token", () => {
    let server: FakeServer;
    let grpcServer: FakeServer;
    let dir: string;
    const routes = (router: import("@connectrpc/connect").ConnectRouter) =>
      router.service(TaskService, {
        getTask: (request) => ({ task: { id: request.id, state: TaskState.RUNNING } }),
      });
    before(async () => {
      server = await startFakeServer(routes);
      grpcServer = await startFakeServer(routes, "2");
      dir = await mkdtemp(join(tmpdir(), "sherpa-run-cli-"));
      await writeFile(join(dir, "admin-token"), "shp_fromfile\n");
    });
    after(async () => {
      await server.close();
      await grpcServer.close();
      await rm(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
      server.calls.length = 0;
      grpcServer.calls.length = 0;
    });

    // [label, argv before the command, environment, profile, Authorization the server gets]
    const sources: [string, string[], Record<string, string>, object | undefined, string | null][] =
      [
        [
          "--token",
          ["--token", "shp_flag"],
          { SHERPA_TOKEN: "shp_env" },
          { token: "shp_profile" },
          "Bearer shp_flag",
        ],
        [
          "SHERPA_TOKEN",
          [],
          { SHERPA_TOKEN: "shp_env" },
          { token: "shp_profile" },
          "Bearer shp_env",
        ],
        [
          "the profile's token",
          [],
          {},
          { token: "shp_profile", tokenFile: "admin-token" },
          "Bearer shp_profile",
        ],
        ["the profile's tokenFile", [], {}, { tokenFile: "admin-token" }, "Bearer shp_fromfile"],
        ["nothing", [], {}, undefined, null],
      ];
    for (const [label, argv, env, profile, authorization] of sources) {
      it(`sends the token from ${label} to the server`, async () => {
        const profilePath = join(dir, "profile.json");
        await rm(profilePath, { force: true });
        if (profile !== undefined) await writeFile(profilePath, JSON.stringify(profile));
        const run = await runCaptured([...argv, "--server", server.url, "tasks", "get", "t-1"], {
          env: { ...env, SHERPA_PROFILE: profilePath },
        });
        assert.equal(run.exitCode, 0);
        assert.deepEqual(server.calls, [
          { method: "sherpa.v1.TaskService/GetTask", authorization },
        ]);
      });
    }

    it("calls the profile's server with the profile's token", async () => {
      const profilePath = join(dir, "profile.json");
      await writeFile(profilePath, JSON.stringify({ server: server.url, token: "shp_profile" }));
      const run = await runCaptured(["tasks", "get", "t-1"], {
        env: { SHERPA_PROFILE: profilePath },
      });
      assert.equal(run.exitCode, 0);
      assert.equal(server.calls[0]?.authorization, "Bearer shp_profile");
    });

    const protocols: [string, () => FakeServer][] = [
      ["connect", () => server],
      ["grpc-web", () => server],
      ["grpc", () => grpcServer],
    ];
    for (const [protocol, target] of protocols) {
      it(`sends it over --protocol ${protocol}`, async () => {
        const run = await runCaptured(
          ["--protocol", protocol, "--server", target().url, "tasks", "get", "t-1"],
          { env: { SHERPA_TOKEN: "shp_env" } },
        );
        assert.equal(run.exitCode, 0);
        assert.equal(target().calls[0]?.authorization, "Bearer shp_env");
      });
    }

    it("reports a profile it cannot read, naming the file", async () => {
      const profilePath = join(dir, "profile.json");
      await writeFile(profilePath, JSON.stringify({ tokenFile: "missing-token" }));
      const run = await runCaptured(["--server", server.url, "tasks", "get", "t-1"], {
        env: { SHERPA_PROFILE: profilePath },
      });
      assert.equal(run.exitCode, 1);
      assert.equal(
        run.stderr,
        `sherpa: cannot read the token file ${join(dir, "missing-token")} named by the profile ${profilePath}: ENOENT\n`,
      );
      assert.deepEqual(server.calls, []);
    });
  });
});
