import WebSocket from "ws";

/** A JSON frame the server sent, with when it arrived (`Date.now()`). */
export interface ReceivedFrame {
  data: Record<string, unknown>;
  receivedAt: number;
}

/** How the server closed the socket. */
export interface WebSocketClose {
  code: number;
  reason: string;
}

/** An open WebSocket that records every JSON frame it receives. */
export interface OpenWebSocket {
  /** Every frame received so far, oldest first. */
  readonly frames: readonly ReceivedFrame[];
  /**
   * Resolves with the first frame, past or future, that `matches`; rejects after
   * `timeoutMs` (10 000 unless set) or when the socket closes first.
   */
  waitForFrame(
    matches: (frame: ReceivedFrame) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedFrame>;
  /** Resolves once the socket has closed, whoever closed it. */
  closed: Promise<WebSocketClose>;
  /** Ends the connection at once, unless it has closed, and waits for that. */
  terminate(): Promise<WebSocketClose>;
}

/** Options of {@link openWebSocket}. */
export interface OpenWebSocketOptions {
  /**
   * Sent as `authorization: Bearer <token>` with the upgrade, the way a
   * non-browser client authenticates; no credential unless set.
   */
  token?: string;
}

/**
 * Opens a WebSocket to `url` (ws://...) and resolves once it is open; rejects
 * when the server refuses the upgrade or does not answer within 5 s.
 */
export async function openWebSocket(
  url: string,
  options: OpenWebSocketOptions = {},
): Promise<OpenWebSocket> {
  const headers = options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
  const socket = new WebSocket(url, { handshakeTimeout: 5000, headers });
  const frames: ReceivedFrame[] = [];
  const listeners = new Set<() => void>();
  socket.on("message", (data) => {
    frames.push({ data: JSON.parse(String(data)), receivedAt: Date.now() });
    for (const listener of listeners) {
      listener();
    }
  });
  const closed = new Promise<WebSocketClose>((resolve) => {
    socket.once("close", (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const listener of listeners) {
        listener();
      }
    });
  });
  // An error (a reset connection) is followed by "close", which is what callers see.
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });

  const waitForFrame = (matches: (frame: ReceivedFrame) => boolean, timeoutMs = 10_000) =>
    new Promise<ReceivedFrame>((resolve, reject) => {
      const check = () => {
        const found = frames.find(matches);
        if (found !== undefined) {
          stop();
          resolve(found);
        } else if (socket.readyState === WebSocket.CLOSED) {
          stop();
          reject(new Error(`socket closed without the frame; frames: ${JSON.stringify(frames)}`));
        }
      };
      const timer = setTimeout(() => {
        stop();
        reject(
          new Error(`no such frame within ${timeoutMs} ms; frames: ${JSON.stringify(frames)}`),
        );
      }, timeoutMs);
      const stop = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  return {
    frames,
    waitForFrame,
    closed,
    terminate() {
      if (socket.readyState !== WebSocket.CLOSED) {
        socket.terminate();
      }
      return closed;
    },
  };
}
