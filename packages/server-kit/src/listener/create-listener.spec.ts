import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import net, { type AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createListener, type Listener } from "./create-listener.js";

/** Answers every request with the HTTP version and method it arrived with. */
const echoVersion: http.RequestListener = (request, response) => {
  response.setHeader("content-type", "text/plain");
  response.end(`HTTP/${request.httpVersion} ${request.method}`);
};

async function startListener(options: Parameters<typeof createListener>[1] = {}) {
  const listener = createListener(echoVersion, options);
  listener.server.listen(0, "127.0.0.1");
  await once(listener.server, "listening");
  return { listener, port: (listener.server.address() as AddressInfo).port };
}

async function stopListener(listener: Listener) {
  listener.beginClosing();
  listener.server.closeAllConnections();
  await new Promise((resolve) => listener.server.close(resolve));
}

function http1Get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: "/", agent: false }, (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () => resolve(body));
      })
      .on("error", reject);
  });
}

async function http2Get(port: number): Promise<string> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    const stream = session.request({ ":path": "/", ":method": "GET" });
    stream.setEncoding("utf8");
    let body = "";
    for await (const chunk of stream) {
      body += chunk;
    }
    return body;
  } finally {
    session.close();
  }
}

/** Sends `bytes` one at a time with a pause between each, and returns what comes back. */
async function sendSlowly(port: number, bytes: Buffer, until: (received: Buffer) => boolean) {
  const socket = net.connect(port, "127.0.0.1");
  await once(socket, "connect");
  let received = Buffer.alloc(0);
  const answered = new Promise<Buffer>((resolve, reject) => {
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (until(received)) {
        resolve(received);
      }
    });
    socket.on("error", reject);
    socket.on("close", () =>
      reject(new Error(`closed after ${JSON.stringify(received.toString("latin1"))}`)),
    );
  });
  answered.catch(() => {});
  try {
    for (const byte of bytes) {
      socket.write(Buffer.of(byte));
      await sleep(2);
    }
    return await answered;
  } finally {
    socket.destroy();
  }
}

const http2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

describe("createListener", () => {
  let listener: Listener;
  let port: number;
  before(async () => {
    ({ listener, port } = await startListener());
  });
  after(() => stopListener(listener));

  it("answers HTTP/1.1 and HTTP/2 on the same port", async () => {
    assert.equal(await http1Get(port), "HTTP/1.1 GET");
    assert.equal(await http2Get(port), "HTTP/2.0 GET");
    assert.equal(await http1Get(port), "HTTP/1.1 GET");
  });

  for (const method of ["GET", "POST", "PATCH"]) {
    it(`answers an HTTP/1.1 ${method} whose first bytes arrive one at a time`, async () => {
      const request = `${method} / HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
      const answer = await sendSlowly(port, Buffer.from(request, "latin1"), (received) =>
        received.toString("latin1").endsWith(`HTTP/1.1 ${method}`),
      );
      assert.match(answer.toString("latin1"), /^HTTP\/1\.1 200 OK\r\n/);
    });
  }

  it("speaks HTTP/2 when the preface arrives one byte at a time", async () => {
    // The server's first frame is its SETTINGS frame: a 9-byte header whose type byte is 4.
    const answer = await sendSlowly(port, http2Preface, (received) => received.length >= 9);
    assert.equal(answer[3], 0x4, `first frame is not SETTINGS: ${answer.toString("hex")}`);
  });

  it("closes a connection that sends nothing within firstBytesTimeoutMs", {
    timeout: 5_000,
  }, async () => {
    const quick = await startListener({ firstBytesTimeoutMs: 50 });
    try {
      const socket = net.connect(quick.port, "127.0.0.1");
      const [hadError] = await once(socket, "close");
      assert.equal(hadError, false);
    } finally {
      await stopListener(quick.listener);
    }
  });
});
