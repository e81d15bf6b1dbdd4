import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  Code,
  ConnectError,
  createSherpaClient,
  type SherpaNodeOptions,
  type SherpaProtocol,
} from "@sherpa/sdk";
import { curl } from "./support/curl.js";
import { repoRoot } from "./support/repo-paths.js";
import { requireTool } from "./support/require-tool.js";
import { run } from "./support/run.js";
import { type StartedServer, startServer } from "./support/start-server.js";

const protocols: readonly SherpaProtocol[] = ["connect", "grpc", "grpc-web"];

/**
 * The codes connect-node gives a connection the server refused during the TLS
 * handshake; which one depends on when the socket error surfaces.
 */
const transportFailures = [Code.Unavailable, Code.Internal, Code.Unknown, Code.Aborted];

/** The files `scripts/dev-certs.sh` writes. */
interface DevCerts {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** Generates a CA and server and client certificates into a directory the test removes. */
async function makeDevCerts(t: TestContext): Promise<DevCerts | undefined> {
  if ((await requireTool(t, "openssl")) === undefined) {
    return undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), "sherpa-certs-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const result = await run("bash", ["scripts/dev-certs.sh", dir], { cwd: repoRoot });
  assert.equal(result.exitCode, 0, result.stderr);
  return {
    ca: join(dir, "ca.pem"),
    serverCert: join(dir, "server.pem"),
    serverKey: join(dir, "server-key.pem"),
    clientCert: join(dir, "client.pem"),
    clientKey: join(dir, "client-key.pem"),
  };
}

/** Starts a TLS server that the test stops; with `clientCa`, clients must present a certificate. */
async function startTlsServer(
  t: TestContext,
  certs: DevCerts,
  clientCa?: string,
  env: Record<string, string> = {},
) {
  const server = await startServer({
    env: {
      SHERPA_TLS_CERT: certs.serverCert,
      SHERPA_TLS_KEY: certs.serverKey,
      ...(clientCa === undefined ? {} : { SHERPA_TLS_CLIENT_CA: clientCa }),
      ...env,
    },
  });
  t.after(() => server.stop());
  return server;
}

/** A Connect ListQueues POST with curl; `tlsArgs` say which CA to trust and which certificate to show. */
function curlListQueues(server: StartedServer, tlsArgs: string[], httpVersionFlag: string) {
  return curl([
    ...tlsArgs,
    httpVersionFlag,
    "--header",
    `authorization: Bearer ${server.adminToken}`,
    "--header",
    "content-type: application/json",
    "--data",
    "{}",
    `${server.baseUrl}/sherpa.v1.QueueService/ListQueues`,
  ]);
}

async function listQueueNames(
  server: StartedServer,
  protocol: SherpaProtocol,
  tls: SherpaNodeOptions,
) {
  const client = createSherpaClient({
    baseUrl: server.baseUrl,
    protocol,
    token: server.adminToken,
    timeoutMs: 5000,
    nodeOptions: tls,
  });
  const { queues } = await client.queues.listQueues({});
  return queues.map((queue) => queue.name);
}

/** Runs grpcurl with the admin token, which reflection needs as well as the calls. */
function grpcurl(grpcurlBin: string, server: StartedServer, tlsArgs: string[], rest: string[]) {
  const credential = ["-H", `authorization: Bearer ${server.adminToken}`];
  return run(grpcurlBin, [...tlsArgs, ...credential, `localhost:${server.port}`, ...rest]);
}

test("TLS: every client reaches the API over HTTPS with the development CA", async (t) => {
  const certs = await makeDevCerts(t);
  if (certs === undefined) {
    return;
  }
  const server = await startTlsServer(t, certs);
  const trustCa = ["--cacert", certs.ca];

  await t.test("the server logs the https:// URL it listens at", () => {
    const listening = server
      .logLines()
      .find((line) => /^Server listening at /.test(String(line.msg)));
    assert.match(String(listening?.msg), /^Server listening at https:\/\//);
  });

  for (const [flag, version] of [
    ["--http1.1", "1.1"],
    ["--http2", "2"],
  ] as const) {
    await t.test(`curl ${flag} negotiates HTTP/${version} and calls ListQueues`, async () => {
      const response = await curlListQueues(server, trustCa, flag);
      assert.equal(response.httpVersion, version);
      assert.equal(response.status, 200, response.body);
      assert.ok(
        JSON.parse(response.body).queues.some(
          (queue: { name: string }) => queue.name === "default",
        ),
      );
    });
  }

  await t.test("curl without the CA refuses the server's certificate", async () => {
    const result = await run("curl", ["--silent", `${server.baseUrl}/healthz`]);
    // curl exit status 60: the peer certificate cannot be authenticated.
    assert.equal(result.exitCode, 60);
  });

  for (const protocol of protocols) {
    await t.test(`the SDK over ${protocol} with nodeOptions.ca`, async () => {
      const ca = await readFile(certs.ca);
      assert.ok((await listQueueNames(server, protocol, { ca })).includes("default"));
    });
  }

  await t.test("grpcurl -cacert: list and Health/Check", async (t) => {
    const grpcurlBin = await requireTool(t, "grpcurl");
    if (grpcurlBin === undefined) {
      return;
    }
    const tlsArgs = ["-cacert", certs.ca];
    const list = await grpcurl(grpcurlBin, server, tlsArgs, ["list"]);
    assert.equal(list.exitCode, 0, list.stderr);
    assert.ok(list.stdout.split("\n").includes("sherpa.v1.TaskService"), list.stdout);
    const check = await grpcurl(grpcurlBin, server, tlsArgs, ["grpc.health.v1.Health/Check"]);
    assert.equal(check.exitCode, 0, check.stderr);
    assert.deepEqual(JSON.parse(check.stdout), { status: "SERVING" });
  });
});

test("mutual TLS: SHERPA_TLS_CLIENT_CA refuses clients without a certificate it signed", async (t) => {
  const certs = await makeDevCerts(t);
  if (certs === undefined) {
    return;
  }
  const server = await startTlsServer(t, certs, certs.ca);
  const ca = await readFile(certs.ca);
  const withClientCert = [
    "--cacert",
    certs.ca,
    "--cert",
    certs.clientCert,
    "--key",
    certs.clientKey,
  ];

  await t.test("curl without a client certificate is refused", async () => {
    const result = await run("curl", [
      "--silent",
      "--cacert",
      certs.ca,
      `${server.baseUrl}/healthz`,
    ]);
    assert.notEqual(result.exitCode, 0, result.stdout);
  });

  await t.test(
    "curl with the client certificate calls ListQueues over HTTP/1.1 and HTTP/2",
    async () => {
      for (const flag of ["--http1.1", "--http2"]) {
        const response = await curlListQueues(server, withClientCert, flag);
        assert.equal(response.status, 200, response.body);
      }
    },
  );

  for (const protocol of protocols) {
    await t.test(
      `the SDK over ${protocol}: refused without a certificate, served with one`,
      async () => {
        await assert.rejects(listQueueNames(server, protocol, { ca }), (error) => {
          assert.ok(error instanceof ConnectError, String(error));
          assert.ok(transportFailures.includes(error.code), Code[error.code]);
          return true;
        });
        const cert = await readFile(certs.clientCert);
        const key = await readFile(certs.clientKey);
        assert.ok((await listQueueNames(server, protocol, { ca, cert, key })).includes("default"));
      },
    );
  }

  await t.test("grpcurl: refused without -cert/-key, served with them", async (t) => {
    const grpcurlBin = await requireTool(t, "grpcurl");
    if (grpcurlBin === undefined) {
      return;
    }
    const refused = await grpcurl(grpcurlBin, server, ["-cacert", certs.ca], ["list"]);
    assert.notEqual(refused.exitCode, 0, refused.stdout);
    const served = await grpcurl(
      grpcurlBin,
      server,
      ["-cacert", certs.ca, "-cert", certs.clientCert, "-key", certs.clientKey],
      ["grpc.health.v1.Health/Check"],
    );
    assert.equal(served.exitCode, 0, served.stderr);
    assert.deepEqual(JSON.parse(served.stdout), { status: "SERVING" });
  });
});

/** Resolves with whether the server closed the socket within `timeoutMs`. */
function closedWithin(socket: net.Socket, timeoutMs: number): Promise<boolean> {
  return Promise.race([once(socket, "close").then(() => true), sleep(timeoutMs).then(() => false)]);
}

test("TLS: a connection that never finishes its handshake is closed after SHERPA_HEADERS_TIMEOUT_MS", async (t) => {
  const certs = await makeDevCerts(t);
  if (certs === undefined) {
    return;
  }
  const headersTimeoutMs = 1000;
  const server = await startTlsServer(t, certs, undefined, {
    SHERPA_HEADERS_TIMEOUT_MS: String(headersTimeoutMs),
  });
  const silent = net.connect(server.port, "127.0.0.1");
  t.after(() => silent.destroy());
  silent.on("error", () => {
    // A reset is one way of being cut off.
  });
  await once(silent, "connect");
  assert.ok(await closedWithin(silent, headersTimeoutMs * 3), "still open after the timeout");
});

test("TLS: connections closed before the handshake (TCP probes) or silent in it do not hold the shutdown up", async (t) => {
  const certs = await makeDevCerts(t);
  if (certs === undefined) {
    return;
  }
  const headersTimeoutMs = 30_000;
  const server = await startTlsServer(t, certs, undefined, {
    SHERPA_HEADERS_TIMEOUT_MS: String(headersTimeoutMs),
    SHERPA_SHUTDOWN_GRACE_MS: String(headersTimeoutMs),
  });
  const connect = async () => {
    const socket = net.connect(server.port, "127.0.0.1");
    t.after(() => socket.destroy());
    socket.on("error", () => {
      // Reset by the server while it shuts down: what a silent client may get.
    });
    await once(socket, "connect");
    return socket;
  };
  const probe = await connect();
  probe.end();
  assert.ok(
    await closedWithin(probe, headersTimeoutMs / 2),
    "the server still holds the connection the client closed (CLOSE-WAIT)",
  );
  await connect();
  // Accepted in order: once a later connection is answered, the server has the silent one too.
  const healthz = await curl(["--cacert", certs.ca, `${server.baseUrl}/healthz`]);
  assert.equal(healthz.status, 200);

  const signalledAt = Date.now();
  server.kill("SIGTERM");
  assert.equal(await server.exited, 0);
  const exitedAfterMs = Date.now() - signalledAt;
  assert.ok(
    exitedAfterMs < headersTimeoutMs / 2,
    `exited ${exitedAfterMs} ms after SIGTERM, against a ${headersTimeoutMs} ms headers timeout`,
  );
});
