import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { TaskState } from "@sherpa/proto";
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@sherpa/proto/grpc/health/v1/health_pb.js";
import { createSherpaClient } from "@sherpa/sdk";
import { requireTool } from "./support/require-tool.js";
import { run } from "./support/run.js";
import { type StartedServer, startServer } from "./support/start-server.js";

/** grpc-health-probe's exit status when the server answers NOT_SERVING. */
const probeUnhealthyExitCode = 4;
/**
 * How long a draining server keeps serving (SHERPA_SHUTDOWN_DRAIN_DELAY_MS):
 * the calls of a drain test have to be answered within it.
 */
const drainDelayMs = 3000;

/** Runs grpc-health-probe, as a Kubernetes probe would: plaintext, no credential. */
function probeHealth(probe: string, server: StartedServer, service: string) {
  return run(probe, ["-addr", `127.0.0.1:${server.port}`, "-service", service]);
}

/**
 * Runs grpcurl's Health/Check the way a probe would, using reflection for the
 * schema. Only reflection gets the admin token (`-reflect-header`, not `-H`):
 * the Check itself goes without a credential, as a probe's would.
 */
async function grpcurlHealthCheck(grpcurl: string, server: StartedServer, service: string) {
  return run(grpcurl, [
    "-plaintext",
    "-reflect-header",
    `authorization: Bearer ${server.adminToken}`,
    "-d",
    JSON.stringify({ service }),
    `127.0.0.1:${server.port}`,
    "grpc.health.v1.Health/Check",
  ]);
}

describe("health probes of a serving server", () => {
  let server: StartedServer;

  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  for (const service of ["", "sherpa.v1.TaskService"]) {
    test(`grpcurl Health/Check as a probe: "${service}" is SERVING, exit status 0`, async (t) => {
      const grpcurl = await requireTool(t, "grpcurl");
      if (grpcurl === undefined) {
        return;
      }
      const result = await grpcurlHealthCheck(grpcurl, server, service);
      assert.equal(result.exitCode, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), { status: "SERVING" });
    });
  }

  for (const service of ["", "sherpa.v1.TaskService"]) {
    test(`grpc-health-probe without a credential: "${service}" is SERVING, exit status 0`, async (t) => {
      const probe = await requireTool(t, "grpc-health-probe");
      if (probe === undefined) {
        return;
      }
      const result = await probeHealth(probe, server, service);
      assert.equal(result.exitCode, 0, result.stderr);
      // The probe reports on stderr, whatever the result.
      assert.match(result.stderr, /status: SERVING/);
    });
  }

  test("grpcurl Health/Check as a probe: an unknown service is NotFound, non-zero exit", async (t) => {
    const grpcurl = await requireTool(t, "grpcurl");
    if (grpcurl === undefined) {
      return;
    }
    const result = await grpcurlHealthCheck(grpcurl, server, "sherpa.v1.NoSuchService");
    assert.notEqual(result.exitCode, 0);
    assert.match(result.stderr, /Code: NotFound/);
  });

  test("/healthz and /readyz answer 200", async () => {
    for (const path of ["/healthz", "/readyz"]) {
      const response = await fetch(`${server.baseUrl}${path}`);
      assert.equal(response.status, 200, path);
      await response.body?.cancel();
    }
  });
});

describe("health while the server shuts down", () => {
  test("a Watch sees SERVING, then NOT_SERVING, then ends with Unavailable; exit status 0", async () => {
    const server = await startServer({ env: { SHERPA_SHUTDOWN_GRACE_MS: "1500" } });
    try {
      const health = createClient(Health, createGrpcTransport({ baseUrl: server.baseUrl }));
      const statuses: ServingStatus[] = [];
      let streamError: ConnectError | undefined;
      try {
        for await (const response of health.watch({ service: "" }, { timeoutMs: 10_000 })) {
          statuses.push(response.status);
          if (statuses.length === 1) {
            server.kill("SIGTERM");
          }
        }
      } catch (error) {
        streamError = ConnectError.from(error);
      }
      assert.deepEqual(statuses, [ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
      assert.equal(streamError?.code, Code.Unavailable, String(streamError));
      assert.equal(await server.exited, 0);
    } finally {
      await server.stop();
    }
  });

  test("while draining, /readyz is 503 and Check says NOT_SERVING, yet Sherpa calls are served", async () => {
    const server = await startServer({
      env: { SHERPA_SHUTDOWN_DRAIN_DELAY_MS: String(drainDelayMs) },
    });
    try {
      server.kill("SIGTERM");
      await server.waitForLogLine((line) => line.msg === "shutting down");

      const readyz = await fetch(`${server.baseUrl}/readyz`);
      assert.equal(readyz.status, 503);
      assert.deepEqual(await readyz.json(), { status: "not ready", reason: "shutting down" });
      const healthz = await fetch(`${server.baseUrl}/healthz`);
      assert.equal(healthz.status, 200, "the process is still alive");
      await healthz.body?.cancel();

      const health = createClient(Health, createGrpcTransport({ baseUrl: server.baseUrl }));
      const { status } = await health.check({ service: "sherpa.v1.TaskService" });
      assert.equal(status, ServingStatus.NOT_SERVING);

      const client = createSherpaClient({ baseUrl: server.baseUrl, token: server.adminToken });
      const { task } = await client.tasks.submitTask({
        argv: ["echo", "submitted while draining"],
      });
      assert.equal(task?.state, TaskState.PENDING, "SubmitTask is served while draining");
      const { queues } = await client.queues.listQueues({});
      assert.ok(
        queues.some((queue) => queue.name === "default"),
        "ListQueues is served while draining",
      );
      assert.equal(await server.exited, 0);
    } finally {
      await server.stop();
    }
  });

  test("while draining, grpc-health-probe without a credential says NOT_SERVING and exits 4", async (t) => {
    const probe = await requireTool(t, "grpc-health-probe");
    if (probe === undefined) {
      return;
    }
    const server = await startServer({
      env: { SHERPA_SHUTDOWN_DRAIN_DELAY_MS: String(drainDelayMs) },
    });
    try {
      server.kill("SIGTERM");
      await server.waitForLogLine((line) => line.msg === "shutting down");

      const result = await probeHealth(probe, server, "");
      assert.equal(result.exitCode, probeUnhealthyExitCode, `${result.stdout}${result.stderr}`);
      assert.match(result.stderr, /NOT_SERVING/);
      assert.equal(await server.exited, 0);
    } finally {
      await server.stop();
    }
  });
});
