import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { pollUntil } from "@sherpa/kit/testing";
import { runLongLogTask } from "./support/long-log.js";
import { type StartedServer, startServer } from "./support/start-server.js";

/** The server's close timeout for a client closed with 4429 (README, WebSocket close codes). */
const closeTimeoutMs = 2000;

/**
 * The kernel's state of the IPv4 TCP connection from local port `port`, as
 * /proc/net/tcp gives it ("01" established, "08" close-wait, ...); undefined
 * once the kernel has none (it was reset). The kernel's view, not the
 * client's: a client that does not read learns of no close.
 */
async function tcpStateOfLocalPort(port: number): Promise<string | undefined> {
  const local = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const rows = (await readFile("/proc/net/tcp", "utf8")).split("\n").slice(1);
  const row = rows
    .map((line) => line.trim().split(/\s+/))
    .find((fields) => fields[1]?.endsWith(local));
  return row?.[3];
}

describe("a WebSocket client that stops reading", () => {
  let server: StartedServer;
  before(async () => {
    server = await startServer({
      env: {
        SHERPA_EMBEDDED_AGENT: "true",
        SHERPA_AGENT_GPUS: "1xNVIDIA A100-SXM4-80GB",
        SHERPA_WEBSOCKET_BUFFER_BYTES: "65536",
      },
    });
  });
  after(async () => {
    await server.stop();
  });

  /** Upgrades a raw TCP connection to the task's log WebSocket, then stops reading from it. */
  async function openStalledLogSocket(id: string): Promise<net.Socket> {
    const socket = net.connect(server.port, "127.0.0.1");
    socket.on("error", () => {});
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(
      [
        `GET /v1/tasks/${id}/logs HTTP/1.1`,
        `Host: 127.0.0.1:${server.port}`,
        "Upgrade: websocket",
        "Connection: Upgrade",
        `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
        "Sec-WebSocket-Version: 13",
        `Authorization: Bearer ${server.adminToken}`,
        "",
        "",
      ].join("\r\n"),
    );
    let head = "";
    await new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        head += chunk.toString("latin1");
        if (head.includes("\r\n\r\n")) {
          socket.off("data", onData);
          // From here on nothing is read: the server's frames pile up in the kernel's buffers.
          socket.pause();
          resolve();
        }
      };
      socket.on("data", onData);
    });
    assert.match(head, /^HTTP\/1\.1 101 /);
    return socket;
  }

  test("has its TCP connection closed by the server within a few close timeouts", async () => {
    // About 40 MB of output: far more than the socket buffers of both ends hold.
    const id = await runLongLogTask(server, 700_000);

    const socket = await openStalledLogSocket(id);
    const localPort = socket.localPort ?? 0;
    assert.equal(await tcpStateOfLocalPort(localPort), "01", "the connection is established");
    // The buffers fill within moments; the close frame then waits behind them for the timeout.
    const boundMs = 5 * closeTimeoutMs;
    const stalledAt = Date.now();
    try {
      const state = await pollUntil(
        () => tcpStateOfLocalPort(localPort),
        (current) => current !== "01",
        { what: "the server to close the stalled client's connection", timeoutMs: boundMs },
      );
      assert.ok(
        state === undefined || state === "08",
        `the client's connection is ${state}, neither reset nor half-closed by the server`,
      );
      assert.ok(Date.now() - stalledAt <= boundMs);
    } finally {
      socket.destroy();
    }
  });
});
