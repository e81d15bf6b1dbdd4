import type { Socket } from "node:net";
import { createSherpaClient } from "@sherpa/sdk";
import WebSocket from "ws";
import type { StartedServer } from "./start-server.js";
import { waitForTaskEnd } from "./wait-for-task.js";

/** A shell command printing `lines` lines of 55 characters. */
const lineCommand = (lines: number) =>
  `yes 'a line of output to fill the buffers of a slow reader' | head -n ${lines}`;

/**
 * Runs a task that prints `lines` lines, far more than socket buffers hold
 * when large, and resolves with its ID once it has ended (its log complete).
 */
export async function runLongLogTask(server: StartedServer, lines: number): Promise<string> {
  const client = createSherpaClient({ baseUrl: server.baseUrl, token: server.adminToken });
  const { task } = await client.tasks.submitTask({ argv: ["sh", "-c", lineCommand(lines)] });
  const id = task?.id ?? "";
  await waitForTaskEnd(client, id, 30_000);
  return id;
}

/** How a log WebSocket ended: its close code and the bytes of frames received. */
export interface LogReadResult {
  code: number;
  bytes: number;
}

/**
 * Opens a task's log WebSocket with the admin token, counting the bytes it
 * receives; `tcp` is its socket, to pause and resume reading, and `result`
 * resolves once the connection has closed.
 */
export async function openLogSocket(server: StartedServer, id: string) {
  const socket = new WebSocket(`${server.baseUrl.replace(/^http/, "ws")}/v1/tasks/${id}/logs`, {
    headers: server.adminHeaders,
  });
  socket.on("error", () => {});
  let bytes = 0;
  socket.on("message", (data: Buffer) => {
    bytes += data.length;
  });
  const result = new Promise<LogReadResult>((resolve) =>
    socket.once("close", (code) => resolve({ code, bytes })),
  );
  await new Promise((resolve) => socket.once("upgrade", resolve));
  return { tcp: (socket as unknown as { _socket: Socket })._socket, result };
}
