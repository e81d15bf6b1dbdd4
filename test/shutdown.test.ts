import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import { describe, type TestContext, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { pollUntil } from "@sherpa/kit/testing";
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@sherpa/proto/grpc/health/v1/health_pb.js";
import { run } from "./support/run.js";
import { type StartedServer, startServer } from "./support/start-server.js";

/** Starts a server that the test stops, whatever happens. */
async function startOwnServer(t: TestContext, env: Record<string, string>) {
  const server = await startServer({ env });
  t.after(() => server.stop());
  return server;
}

/** Resolves once the server has logged that it received the signal and drains. */
function shuttingDown(server: StartedServer) {
  return server.waitForLogLine((line) => line.msg === "shutting down");
}

/**
 * A Health Watch over gRPC that resolves once the first status (SERVING) has
 * arrived; `notServing` resolves once the stream has said NOT_SERVING, `ended`
 * with the error that ended the stream and when.
 */
async function openHealthWatch(server: StartedServer) {
  const health = createClient(Health, createGrpcTransport({ baseUrl: server.baseUrl }));
  const stream = health.watch({ service: "" }, { timeoutMs: 60_000 })[Symbol.asyncIterator]();
  const first = await stream.next();
  assert.equal(first.value?.status, ServingStatus.SERVING);
  let settleNotServing = (_seen: boolean) => {};
  const notServing = new Promise<void>((resolve, reject) => {
    settleNotServing = (seen) =>
      seen ? resolve() : reject(new Error("the Watch ended without saying NOT_SERVING"));
  });
  // Only the tests that wait for it see it rejected.
  notServing.catch(() => {});
  const ended = (async () => {
    try {
      for (let next = await stream.next(); !next.done; next = await stream.next()) {
        if (next.value.status === ServingStatus.NOT_SERVING) {
          settleNotServing(true);
        }
      }
      return { error: undefined, at: Date.now() };
    } catch (error) {
      return { error: ConnectError.from(error), at: Date.now() };
    } finally {
      settleNotServing(false);
    }
  })();
  return { notServing, ended };
}

/**
 * Starts a Connect POST over HTTP/1.1 with a declared body of which only the
 * first half is sent, once the server has read the headers (it answers
 * `Expect: 100-continue`); `headersRead` resolves then. `finish()` sends the
 * rest and resolves with the response. Like most HTTP clients, it keeps the
 * connection open for reuse afterwards, until the test ends.
 */
function startSlowSubmit(t: TestContext, server: StartedServer) {
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const body = JSON.stringify({ argv: ["echo", "sent in two parts"] });
  const half = Math.floor(body.length / 2);
  const request = http.request(`${server.baseUrl}/sherpa.v1.TaskService/SubmitTask`, {
    method: "POST",
    agent,
    headers: {
      ...server.adminHeaders,
      "content-type": "application/json",
      "content-length": String(body.length),
      expect: "100-continue",
    },
  });
  const headersRead = new Promise<void>((resolve, reject) => {
    request.once("continue", resolve);
    request.once("response", () => reject(new Error("answered before any of the body was sent")));
  });
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    request.once("error", reject);
    request.once("response", (incoming) => {
      let text = "";
      incoming.setEncoding("utf8").on("data", (chunk: string) => {
        text += chunk;
      });
      incoming.once("end", () => resolve({ status: incoming.statusCode ?? 0, text }));
      incoming.once("error", reject);
    });
  });
  request.flushHeaders();
  headersRead.then(
    () => request.write(body.slice(0, half)),
    () => {},
  );
  return {
    headersRead,
    finish() {
      request.end(body.slice(half));
      return response;
    },
  };
}

describe("graceful shutdown on SIGTERM", () => {
  test("a call in flight completes; new connections are refused meanwhile; exit 0 within the grace", async (t) => {
    const graceMs = 3000;
    const server = await startOwnServer(t, { SHERPA_SHUTDOWN_GRACE_MS: String(graceMs) });
    const submit = startSlowSubmit(t, server);
    await submit.headersRead;
    const signalledAt = Date.now();
    server.kill("SIGTERM");
    await shuttingDown(server);

    // Answered (0) before the listener closes; accepted as it closes and then
    // reset (56) or hung up on (52): not refused yet. The call in flight ends
    // with the grace, so a refusal has to come within it.
    const notRefusedYet = [0, 52, 56];
    const refused = await pollUntil(
      () => run("curl", ["--silent", "--max-time", "2", `${server.baseUrl}/healthz`]),
      (result) => !notRefusedYet.includes(result.exitCode ?? -1),
      { what: "a new connection to be refused", timeoutMs: graceMs - (Date.now() - signalledAt) },
    );
    // curl exit status 7: failed to connect.
    assert.equal(refused.exitCode, 7, "a new connection is refused while draining");

    const response = await submit.finish();
    assert.equal(response.status, 200, response.text);
    assert.equal(JSON.parse(response.text).task.state, "TASK_STATE_PENDING");
    // The client's idle keep-alive connection must not hold the shutdown up.
    const exitCode = await server.exited;
    assert.equal(exitCode, 0, `last log line: ${JSON.stringify(server.logLines().at(-1))}`);
    const exitedAfterMs = Date.now() - signalledAt;
    assert.ok(exitedAfterMs < graceMs, `exited ${exitedAfterMs} ms after SIGTERM`);
  });

  test("a health Watch is ended with Unavailable when the grace period runs out", async (t) => {
    const graceMs = 2000;
    const server = await startOwnServer(t, { SHERPA_SHUTDOWN_GRACE_MS: String(graceMs) });
    const watch = await openHealthWatch(server);
    const signalledAt = Date.now();
    server.kill("SIGTERM");

    const { error, at } = await watch.ended;
    assert.equal(error?.code, Code.Unavailable, String(error));
    const endedAfterMs = at - signalledAt;
    assert.ok(endedAfterMs >= graceMs - 100, `ended ${endedAfterMs} ms after SIGTERM`);
    assert.ok(endedAfterMs < 2 * graceMs, `ended ${endedAfterMs} ms after SIGTERM`);

    assert.equal(await server.exited, 0);
    const exitedAfterMs = Date.now() - signalledAt;
    assert.ok(exitedAfterMs < 2 * graceMs, `exited ${exitedAfterMs} ms after SIGTERM`);
  });

  // Kubernetes TCP probes connect and hang up without a byte; other clients connect and wait.
  for (const { name, hangUp } of [
    { name: "closed before its first byte (a TCP probe)", hangUp: true },
    { name: "open but silent", hangUp: false },
  ]) {
    test(`a connection ${name} does not hold the shutdown up until SHERPA_HEADERS_TIMEOUT_MS`, async (t) => {
      const headersTimeoutMs = 30_000;
      const server = await startOwnServer(t, {
        SHERPA_HEADERS_TIMEOUT_MS: String(headersTimeoutMs),
        SHERPA_SHUTDOWN_GRACE_MS: String(headersTimeoutMs),
      });
      const socket = net.connect(server.port, "127.0.0.1");
      t.after(() => socket.destroy());
      socket.on("error", () => {
        // Reset by the server while it shuts down: what a silent client may get.
      });
      await once(socket, "connect");
      if (hangUp) {
        socket.end();
        // The server closes its side too, rather than sit in CLOSE-WAIT until the timeout.
        const closedByServer = await Promise.race([
          once(socket, "close").then(() => true),
          sleep(headersTimeoutMs / 2).then(() => false),
        ]);
        assert.ok(closedByServer, "the server still holds the connection the client closed");
      }
      // Accepted in order: once a later connection is answered, the server has this one too.
      const probe = await run("curl", ["--silent", "--max-time", "5", `${server.baseUrl}/healthz`]);
      assert.equal(probe.exitCode, 0, probe.stderr);

      const signalledAt = Date.now();
      server.kill("SIGTERM");
      assert.equal(await server.exited, 0);
      const exitedAfterMs = Date.now() - signalledAt;
      assert.ok(
        exitedAfterMs < headersTimeoutMs / 2,
        `exited ${exitedAfterMs} ms after SIGTERM, against a ${headersTimeoutMs} ms headers timeout`,
      );
    });
  }

  test("a second SIGTERM during a long grace period exits at once with a non-zero status", async (t) => {
    const graceMs = 30_000;
    const server = await startOwnServer(t, { SHERPA_SHUTDOWN_GRACE_MS: String(graceMs) });
    // An open stream keeps the first SIGTERM's drain waiting for the whole grace period.
    const watch = await openHealthWatch(server);
    server.kill("SIGTERM");
    await shuttingDown(server);
    // The drain has reached the open Watch, which now holds it up.
    await watch.notServing;
    assert.ok(
      server.logLines().every((line) => line.msg !== "shut down"),
      "the first SIGTERM is still draining",
    );

    const secondSignalAt = Date.now();
    server.kill("SIGTERM");
    const exitCode = await server.exited;
    const exitedAfterMs = Date.now() - secondSignalAt;
    assert.notEqual(exitCode, 0);
    assert.ok(
      exitedAfterMs < graceMs / 10,
      `exited ${exitedAfterMs} ms after the second SIGTERM, against a ${graceMs} ms grace`,
    );
    assert.ok(server.logLines().some((line) => line.msg === "second signal: exiting now"));
    const { error } = await watch.ended;
    assert.ok(error !== undefined, "the Watch stream does not end cleanly");
  });
});
