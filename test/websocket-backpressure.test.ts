import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createSherpaClient } from "@sherpa/sdk";
import WebSocket from "ws";
import { type StartedServer, startServer } from "./support/start-server.js";
import { waitForTaskEnd } from "./support/wait-for-task.js";

describe("a WebSocket client that reads too slowly", () => {
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

  test("is closed with 4429 once the buffer limit is reached, instead of growing server memory", async () => {
    const client = createSherpaClient({ baseUrl: server.baseUrl, token: server.adminToken });
    // About 40 MB of output: far more than the socket buffers of both ends hold.
    const { task } = await client.tasks.submitTask({
      argv: [
        "sh",
        "-c",
        "yes 'a line of output to fill the buffers of a slow reader' | head -n 700000",
      ],
    });
    const id = task?.id ?? "";
    await waitForTaskEnd(client, id, 30_000);

    const socket = new WebSocket(`${server.baseUrl.replace(/^http/, "ws")}/v1/tasks/${id}/logs`, {
      headers: server.adminHeaders,
    });
    socket.on("error", () => {});
    await new Promise((resolve) => socket.once("upgrade", resolve));
    // Stop reading: the server's writes pile up behind a full TCP window.
    const tcp = (socket as unknown as { _socket: import("node:net").Socket })._socket;
    tcp.pause();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    tcp.resume();
    assert.equal(await closed, 4429);
  });
});
