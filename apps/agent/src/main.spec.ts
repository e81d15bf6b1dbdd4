import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { waitFor } from "@sherpa/kit/testing";
import { TaskState } from "@sherpa/proto";
import { createFakeAgentService } from "./agent/testing/create-fake-agent-service.js";
import { startAgentProgram } from "./testing/start-agent-program.js";

describe("sherpa-agent", () => {
  let workDir: string;
  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), "sherpa-agent-main-"));
  });
  after(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it("prints its flags on --help", async () => {
    const program = startAgentProgram(["--help"]);
    assert.equal(await program.exited, 0);
    assert.match(program.stdout(), /^Usage: sherpa-agent/);
    assert.match(program.stdout(), /SHERPA_AGENT_GPUS/);
  });

  it("exits 2 naming each bad setting", async () => {
    const program = startAgentProgram(["--cancel-grace-ms", "soon"], {
      SHERPA_SERVER: "localhost",
    });
    assert.equal(await program.exited, 2);
    assert.match(program.stderr(), /SHERPA_SERVER \(--server\) is "localhost"/);
    assert.match(program.stderr(), /SHERPA_AGENT_CANCEL_GRACE_MS \(--cancel-grace-ms\) is "soon"/);
  });

  it("exits 2 saying how to enroll when the node has no credential and no join token", async () => {
    const program = startAgentProgram(["--work-dir", workDir]);
    assert.equal(await program.exited, 2);
    assert.match(
      program.stderr(),
      /this node is not enrolled: start the agent once with --join-token/,
    );
    assert.match(program.stderr(), /`sherpa nodes join-token create`/);
  });

  describe("against a server over gRPC", () => {
    const joinToken = "shj_test-join-token";
    const credential = "shn_test-node-credential";
    let server: Http2Server;
    let fake: ReturnType<typeof createFakeAgentService>;
    let baseUrl: string;
    const programs: ReturnType<typeof startAgentProgram>[] = [];
    const start = (args: string[], env: NodeJS.ProcessEnv = {}) => {
      const program = startAgentProgram(args, env);
      programs.push(program);
      return program;
    };

    before(async () => {
      fake = createFakeAgentService({
        heartbeatIntervalMs: 200,
        access: { joinToken, credential },
      });
      server = createServer(connectNodeAdapter({ routes: fake.routes }));
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      for (const program of programs) {
        program.child.kill("SIGKILL");
      }
      server.close();
    });

    it("refuses a wrong join token with exit status 3, saying to get a new one", async () => {
      const program = start(["--server", baseUrl, "--work-dir", join(workDir, "wrong-token")], {
        SHERPA_JOIN_TOKEN: "shj_wrong",
      });
      assert.equal(await program.exited, 3);
      assert.match(program.stderr(), /the server refused the join token \(Unauthenticated: /);
      assert.match(program.stderr(), /`sherpa nodes join-token create`/);
      assert.deepEqual(fake.enrolledNodes, []);
    });

    it("enrolls with its join token, registers its simulated GPUs, runs a task, and stops on SIGTERM", async () => {
      const program = start(
        ["--server", baseUrl, "--node-name", "main-test", "--labels", "gpu=t4"],
        {
          SHERPA_JOIN_TOKEN: joinToken,
          SHERPA_AGENT_GPUS: "2xTesla T4",
          SHERPA_AGENT_WORK_DIR: workDir,
          SHERPA_AGENT_CANCEL_GRACE_MS: "500",
        },
      );
      await waitFor("registration", () => fake.sessions.length === 1);
      assert.deepEqual(fake.enrolledNodes, ["main-test"]);
      const registration = fake.registrations()[0];
      assert.equal(registration?.nodeName, "main-test");
      assert.equal(registration?.simulated, true);
      assert.deepEqual(registration?.labels, { gpu: "t4" });
      assert.deepEqual(
        registration?.gpus.map((gpu) => gpu.model),
        ["Tesla T4", "Tesla T4"],
      );
      await waitFor("a heartbeat", () => fake.events.some((event) => event.kind === "heartbeat"));

      fake.sessions[0]?.send({
        message: {
          case: "assignment",
          value: {
            task: {
              id: "t-main",
              argv: [
                "sh",
                "-c",
                // The join token is in the agent's environment, not the task's: the line ends in " .".
                "echo $CUDA_VISIBLE_DEVICES $SHERPA_TASK_ID $SHERPA_JOIN_TOKEN.",
              ],
            },
            gpuIndices: [1],
          },
        },
      });
      await waitFor("the final status", () => fake.statuses("t-main").length === 2);
      assert.equal(fake.statuses("t-main")[1]?.state, TaskState.SUCCEEDED);
      assert.ok(fake.events.some((event) => event.kind === "line" && event.text === "1 t-main ."));

      fake.sessions[0]?.send({
        message: {
          case: "assignment",
          value: { task: { id: "t-sleep", argv: ["sleep", "30"] }, gpuIndices: [0] },
        },
      });
      await waitFor("RUNNING", () => fake.statuses("t-sleep").length === 1);
      (program.child as ChildProcess).kill("SIGTERM");
      assert.equal(await program.exited, 0);
      assert.equal(fake.statuses("t-sleep")[1]?.state, TaskState.CANCELLED);
      assert.ok(program.messages().includes("node enrolled"), program.stdout());
      assert.ok(program.messages().includes("agent stopped"), program.stdout());
      assert.ok(
        fake.events.some((event) => event.kind === "session-end" && event.how === "client closed"),
        "the agent did not end its session cleanly",
      );
      for (const secret of [joinToken, credential]) {
        assert.ok(!program.stdout().includes(secret), "a secret was logged");
        assert.ok(!program.stderr().includes(secret), "a secret was written to stderr");
      }
    });

    it("keeps the credential where only its user can read it", async () => {
      const stateDir = join(workDir, "state");
      assert.deepEqual(JSON.parse(await readFile(join(stateDir, "credential.json"), "utf8")), {
        server: baseUrl,
        nodeName: "main-test",
        credential,
      });
      assert.equal((await stat(stateDir)).mode & 0o777, 0o700);
      assert.equal((await stat(join(stateDir, "credential.json"))).mode & 0o777, 0o600);
    });

    it("exits 2 when the saved credential is another node's", async () => {
      const program = start(["--server", baseUrl, "--work-dir", workDir, "--node-name", "other"]);
      assert.equal(await program.exited, 2);
      assert.match(
        program.stderr(),
        /holds the credential of node "main-test", but the node name is "other": start with --node-name main-test/,
      );
    });

    it("uses the saved credential, and exits 3 when the server refuses it", async () => {
      const program = start([
        "--server",
        baseUrl,
        "--work-dir",
        workDir,
        "--node-name",
        "main-test",
      ]);
      await waitFor("a second registration", () => fake.registrations().length === 2);
      assert.deepEqual(fake.enrolledNodes, ["main-test"]);
      fake.behaviour.revoked = true;
      fake.sessions[1]?.fail();
      assert.equal(await program.exited, 3);
      assert.match(
        program.stderr(),
        /the server refused this node's credential \(Unauthenticated: /,
      );
      assert.match(program.stderr(), /Delete .*credential\.json and enroll the node again/);
      assert.ok(program.messages().some((message) => message.startsWith("the server refused")));
      await stat(join(workDir, "state", "credential.json"));
    });

    it("keeps retrying while the server is unreachable, and still stops on SIGTERM", async () => {
      const unreachableDir = join(workDir, "unreachable");
      await mkdir(join(unreachableDir, "state"), { recursive: true });
      await writeFile(
        join(unreachableDir, "state", "credential.json"),
        JSON.stringify({ server: "http://127.0.0.1:1", nodeName: "far-away", credential }),
      );
      const unreachable = start([
        "--server",
        "http://127.0.0.1:1",
        "--work-dir",
        unreachableDir,
        "--node-name",
        "far-away",
      ]);
      await waitFor("a retry", () =>
        unreachable.messages().includes("cannot reach the server; retrying"),
      );
      assert.ok(
        unreachable
          .messages()
          .includes("no GPUs found and none simulated: running as a CPU-only node"),
      );
      unreachable.child.kill("SIGTERM");
      assert.equal(await unreachable.exited, 0);
    });
  });
});
