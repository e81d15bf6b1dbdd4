import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { type StartedServer, startServer } from "./support/start-server.js";

const allowedOrigin = "http://allowed.example";

/** How a WebSocket upgrade went: the close code once open, or the HTTP status it was refused with. */
type UpgradeOutcome =
  | { opened: true; closeCode: number }
  | { opened: false; status: number; body: string };

/**
 * Opens a WebSocket with `origin` (none when undefined) and the credential in
 * `headers`, and reports how the upgrade went.
 */
function tryUpgrade(url: string, origin: string | undefined, headers: Record<string, string>) {
  return new Promise<UpgradeOutcome>((resolve, reject) => {
    const socket = new WebSocket(url, {
      handshakeTimeout: 5000,
      headers,
      ...(origin ? { origin } : {}),
    });
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () => resolve({ opened: false, status: response.statusCode ?? 0, body }));
    });
    socket.once("close", (code) => resolve({ opened: true, closeCode: code }));
    socket.once("error", (error) => {
      if (!error.message.startsWith("Unexpected server response")) {
        reject(error);
      }
    });
  });
}

describe("WebSocket origins", () => {
  let server: StartedServer;
  const wsUrl = (path: string) => `${server.baseUrl.replace(/^http/, "ws")}${path}`;

  before(async () => {
    server = await startServer({ env: { SHERPA_CORS_ORIGINS: allowedOrigin } });
  });
  after(() => server.stop());

  test("a tool that sends no Origin gets the socket (an unknown task then closes it with 4404)", async () => {
    assert.deepEqual(
      await tryUpgrade(wsUrl("/v1/tasks/no-such-task/logs"), undefined, server.adminHeaders),
      {
        opened: true,
        closeCode: 4404,
      },
    );
  });

  test("a page of an origin in SHERPA_CORS_ORIGINS gets the socket", async () => {
    assert.deepEqual(
      await tryUpgrade(wsUrl("/v1/tasks/no-such-task/logs"), allowedOrigin, server.adminHeaders),
      {
        opened: true,
        closeCode: 4404,
      },
    );
  });

  for (const path of ["/v1/tasks/no-such-task/logs", "/v1/events"]) {
    test(`a page of another origin is refused with 403 before ${path} opens, even with a token`, async () => {
      const outcome = await tryUpgrade(
        wsUrl(path),
        "http://elsewhere.example",
        server.adminHeaders,
      );
      assert.equal(outcome.opened, false);
      assert.equal(outcome.opened === false && outcome.status, 403);
      const body = outcome.opened === false ? JSON.parse(outcome.body) : {};
      assert.equal(body.code, "permission_denied");
      assert.match(body.message, /http:\/\/elsewhere\.example.*SHERPA_CORS_ORIGINS/);
    });
  }
});
