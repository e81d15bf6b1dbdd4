import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
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

/**
 * The effect of the agent's settings that main.spec.ts does not show:
 * --nvidia-smi, --state-dir apart from --work-dir, tasks' working directory,
 * --cancel-grace-ms and --log-level. agent-config.spec.ts checks that they parse.
 */

describe("sherpa-agent settings", () => {
  let dir: string;
  const programs: ReturnType<typeof startAgentProgram>[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "sherpa-agent-settings-"));
  });
  after(async () => {
    for (const program of programs) {
      program.child.kill("SIGKILL");
    }
    await rm(dir, { recursive: true, force: true });
  });

  describe("--work-dir, --state-dir, --nvidia-smi and --cancel-grace-ms, against a server", () => {
    const joinToken = "shj_settings-join-token";
    const credential = "shn_settings-node-credential";
    const cancelGraceMs = 300;
    let server: Http2Server;
    let fake: ReturnType<typeof createFakeAgentService>;
    let workDir: string;
    let stateDir: string;
    let program: ReturnType<typeof startAgentProgram>;

    before(async () => {
      fake = createFakeAgentService({
        heartbeatIntervalMs: 200,
        access: { joinToken, credential },
      });
      server = createServer(connectNodeAdapter({ routes: fake.routes }));
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
      workDir = join(dir, "work");
      stateDir = join(dir, "elsewhere", "state");
      // A stand-in for nvidia-smi that reports one Tesla T4, as the real one prints it.
      const fakeNvidiaSmi = join(dir, "fake-nvidia-smi");
      await writeFile(
        fakeNvidiaSmi,
        "#!/bin/sh\necho '0, GPU-39cd9454-0976-646a-acef-01a35ad02034, Tesla T4, 15360, 0, 0'\n",
      );
      await chmod(fakeNvidiaSmi, 0o755);
      program = startAgentProgram(
        [
          ...["--server", `http://127.0.0.1:${(server.address() as AddressInfo).port}`],
          ...["--node-name", "settings-node", "--join-token", joinToken],
          ...["--work-dir", workDir, "--state-dir", stateDir],
          ...["--nvidia-smi", fakeNvidiaSmi, "--cancel-grace-ms", String(cancelGraceMs)],
        ],
        // Were --nvidia-smi ignored, these would be served instead.
        { SHERPA_AGENT_GPUS: "2xNVIDIA A100-SXM4-80GB" },
      );
      programs.push(program);
      await waitFor("registration", () => fake.registrations().length === 1);
    });
    after(async () => {
      program.child.kill("SIGTERM");
      await program.exited;
      server.close();
    });

    it("registers the GPUs that the --nvidia-smi program reports, as real ones", () => {
      const [registration] = fake.registrations();
      assert.equal(registration?.simulated ?? false, false);
      assert.deepEqual(
        registration?.gpus.map((gpu) => [gpu.model, gpu.uuid]),
        [["Tesla T4", "GPU-39cd9454-0976-646a-acef-01a35ad02034"]],
      );
    });

    it("keeps the node credential in --state-dir, not under --work-dir", async () => {
      const saved = JSON.parse(await readFile(join(stateDir, "credential.json"), "utf8"));
      assert.equal(saved.credential, credential);
      assert.equal(existsSync(join(workDir, "state")), false);
    });

    it("runs a task in <--work-dir>/tasks/<task id>", async () => {
      fake.sessions[0]?.send({
        message: {
          case: "assignment",
          value: { task: { id: "t-cwd", argv: ["pwd"] }, gpuIndices: [0] },
        },
      });
      await waitFor("the final status", () => fake.statuses("t-cwd").length === 2);
      assert.equal(fake.statuses("t-cwd")[1]?.state, TaskState.SUCCEEDED);
      const lines = fake.events.flatMap((event) =>
        event.kind === "line" && event.taskId === "t-cwd" ? [event.text] : [],
      );
      assert.deepEqual(lines, [join(workDir, "tasks", "t-cwd")]);
    });

    it("kills a timed-out task that ignores SIGTERM once --cancel-grace-ms is over", async () => {
      fake.sessions[0]?.send({
        message: {
          case: "assignment",
          value: {
            task: {
              id: "t-stubborn",
              argv: ["sh", "-c", "trap '' TERM; sleep 30"],
              timeout: { nanos: 200_000_000 },
            },
            gpuIndices: [0],
          },
        },
      });
      await waitFor("the final status", () => fake.statuses("t-stubborn").length === 2, {
        timeoutMs: 30_000,
      });
      const final = fake.statuses("t-stubborn")[1];
      assert.equal(final?.state, TaskState.TIMED_OUT, final?.reason);
      assert.match(
        final?.reason ?? "",
        new RegExp(`killed by SIGKILL after the ${cancelGraceMs} ms grace period$`),
      );
    });
  });

  it("--log-level warn logs warnings but no info lines", async () => {
    // An enrolled node whose server cannot be reached: the agent warns while it retries.
    const workDir = join(dir, "unreachable");
    await mkdir(join(workDir, "state"), { recursive: true });
    await writeFile(
      join(workDir, "state", "credential.json"),
      JSON.stringify({ server: "http://127.0.0.1:1", nodeName: "far-away", credential: "shn_x" }),
    );
    const program = startAgentProgram(
      [
        ...["--server", "http://127.0.0.1:1", "--node-name", "far-away"],
        ...["--work-dir", workDir, "--log-level", "warn"],
      ],
      { SHERPA_AGENT_NVIDIA_SMI: "/nonexistent/nvidia-smi" },
    );
    programs.push(program);
    await waitFor("a retry warning", () =>
      program.messages().includes("cannot reach the server; retrying"),
    );
    program.child.kill("SIGTERM");
    assert.equal(await program.exited, 0, program.stderr());
    // Logged at info before the warning, and on the way out.
    for (const info of [
      "nvidia-smi not found",
      "no GPUs found and none simulated: running as a CPU-only node",
      "agent started",
      "stopping",
    ]) {
      assert.ok(!program.messages().includes(info), `logged "${info}" at --log-level warn`);
    }
  });
});
