import WebSocket from "ws";

/** How the server answered a WebSocket upgrade. */
export interface WebSocketHandshake {
  /** 101 when it upgraded, else the HTTP status it answered with. */
  status: number;
  /** The subprotocol the server picked; "" for none or when refused. */
  protocol: string;
  /** The body of a refusal; "" when upgraded. */
  body: string;
  /** The `www-authenticate` header of a refusal; "" when absent. */
  wwwAuthenticate: string;
}

/**
 * Asks `url` (ws://...) for an upgrade offering `protocols`, and resolves with
 * how the server answered; an upgraded socket is closed at once. Rejects only
 * when the server does not answer within 5 s.
 */
export function webSocketHandshake(
  url: string,
  protocols: readonly string[] = [],
): Promise<WebSocketHandshake> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, [...protocols], { handshakeTimeout: 5000 });
    socket.once("open", () => {
      resolve({ status: 101, protocol: socket.protocol, body: "", wwwAuthenticate: "" });
      socket.close(1000);
    });
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.once("end", () => {
        resolve({
          status: response.statusCode ?? 0,
          protocol: "",
          body,
          wwwAuthenticate: String(response.headers["www-authenticate"] ?? ""),
        });
        socket.terminate();
      });
    });
    socket.once("error", reject);
  });
}
