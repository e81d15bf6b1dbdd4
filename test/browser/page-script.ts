// Runs in Chromium, not in Node: esbuild bundles it with the "browser" export
// condition, so "@sherpa/sdk" here is the SDK's browser build (dist/browser.js).
import { createSherpaClient, type SherpaProtocol } from "@sherpa/sdk";

/** How a WebSocket the page opened ended, and the JSON frames it received before. */
export interface WebSocketTail {
  /** The subprotocol the server selected; "" when the handshake failed. */
  protocol: string;
  frames: Record<string, unknown>[];
  closeCode: number;
  closeReason: string;
}

/**
 * What the page offers the test, as `globalThis.sherpaPage`; every argument and
 * result is JSON. `token` is the bearer token the page calls with.
 */
export interface SherpaPageApi {
  /** Calls ListQueues with the `x-request-id` header and resolves with the queue names. */
  listQueueNames(
    baseUrl: string,
    protocol: SherpaProtocol,
    token: string,
    requestId: string,
  ): Promise<string[]>;
  /** Follows a task's output with StreamTaskLogs until the server ends the stream. */
  streamTaskLogTexts(
    baseUrl: string,
    protocol: SherpaProtocol,
    token: string,
    taskId: string,
  ): Promise<string[]>;
  /**
   * Opens a WebSocket, offering the subprotocols `sherpa.v1` and `bearer.<token>`
   * (a browser cannot set an authorization header on one), and records its
   * frames until the server closes it.
   */
  tailWebSocket(url: string, token: string): Promise<WebSocketTail>;
}

const sherpaPage: SherpaPageApi = {
  async listQueueNames(baseUrl, protocol, token, requestId) {
    const client = createSherpaClient({
      baseUrl,
      protocol,
      token,
      headers: { "x-request-id": requestId },
    });
    const { queues } = await client.queues.listQueues({});
    return queues.map((queue) => queue.name);
  },

  async streamTaskLogTexts(baseUrl, protocol, token, taskId) {
    const client = createSherpaClient({ baseUrl, protocol, token, timeoutMs: 15_000 });
    const texts: string[] = [];
    for await (const response of client.tasks.streamTaskLogs({ id: taskId, follow: true })) {
      texts.push(...response.lines.map((line) => line.text));
    }
    return texts;
  },

  tailWebSocket(url, token) {
    return new Promise((resolve) => {
      const socket = new WebSocket(url, ["sherpa.v1", `bearer.${token}`]);
      const frames: Record<string, unknown>[] = [];
      socket.onmessage = (event) => frames.push(JSON.parse(String(event.data)));
      // A failed handshake is reported as a close too, with code 1006.
      socket.onclose = (event) =>
        resolve({
          protocol: socket.protocol,
          frames,
          closeCode: event.code,
          closeReason: event.reason,
        });
    });
  },
};

Object.assign(globalThis, { sherpaPage });
