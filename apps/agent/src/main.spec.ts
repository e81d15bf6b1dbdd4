import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { TaskState } from "@sherpa/proto";
import { createFakeAgentService, waitFor } from "./agent/testing/create-fake-agent-service.js";

const mainPath = fileURLToPath(new URL("main.ts", import.meta.url));

/** Runs sherpa-agent (from source) with the given flags and environment. */
function startAgentProgram(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", mainPath, ...args], {
    env: { PATH: process.env.PATH, SHERPA_AGENT_NVIDIA_SMI: "/nonexistent/nvidia-smi", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    messages: () =>
      stdout
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => (JSON.parse(line) as { msg: string }).msg),
  };
}

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

  describe("against a server over gRPC", () => {
    let server: Http2Server;
    let fake: ReturnType<typeof createFakeAgentService>;
    let program: ReturnType<typeof startAgentProgram> | undefined;

    before(async () => {
      fake = createFakeAgentService({ heartbeatIntervalMs: 200 });
      server = createServer(connectNodeAdapter({ routes: fake.routes }));
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
    });
    after(async () => {
      program?.child.kill("SIGKILL");
      server.close();
    });

    it("registers its simulated GPUs, runs a task, and stops on SIGTERM", async () => {
      const port = (server.address() as AddressInfo).port;
      program = startAgentProgram(
        ["--server", `http://127.0.0.1:${port}`, "--node-name", "main-test", "--labels", "gpu=t4"],
        {
          SHERPA_AGENT_GPUS: "2xTesla T4",
          SHERPA_AGENT_WORK_DIR: workDir,
          SHERPA_AGENT_CANCEL_GRACE_MS: "500",
        },
      );
      await waitFor("registration", () => fake.sessions.length === 1);
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
            task: { id: "t-main", argv: ["sh", "-c", "echo $CUDA_VISIBLE_DEVICES"] },
            gpuIndices: [1],
          },
        },
      });
      await waitFor("the final status", () => fake.statuses("t-main").length === 2);
      assert.equal(fake.statuses("t-main")[1]?.state, TaskState.SUCCEEDED);
      assert.ok(fake.events.some((event) => event.kind === "line" && event.text === "1"));

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
      assert.ok(program.messages().includes("agent stopped"), program.stdout());
      assert.ok(
        fake.events.some((event) => event.kind === "session-end" && event.how === "client closed"),
        "the agent did not end its session cleanly",
      );
    });

    it("keeps retrying while the server is unreachable, and still stops on SIGTERM", async () => {
      const unreachable = startAgentProgram([
        "--server",
        "http://127.0.0.1:1",
        "--work-dir",
        workDir,
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
