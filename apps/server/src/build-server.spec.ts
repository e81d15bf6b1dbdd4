import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildServer, type SherpaServer } from "./build-server.js";
import { loadConfig } from "./config.js";

describe("buildServer", () => {
  let server: SherpaServer;
  let dataDir: string;
  let bearer: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "sherpa-build-server-"));
    const loaded = loadConfig([], {
      SHERPA_DATA_DIR: dataDir,
      SHERPA_LOG_LEVEL: "silent",
      SHERPA_EMBEDDED_AGENT: "false",
      SHERPA_CLI_PROFILE: "none",
      SHERPA_CORS_ORIGINS: "https://console.example.com",
    });
    assert.equal(loaded.kind, "config");
    server = await buildServer(loaded.config);
    await server.app.ready();
    bearer = `Bearer ${(await readFile(join(dataDir, "admin-token"), "utf8")).trim()}`;
  });
  after(async () => {
    await server.app.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("answers /healthz without a credential", async () => {
    const response = await server.app.inject({ url: "/healthz" });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: "ok" });
  });

  it("writes the first admin token with mode 0600", async () => {
    assert.equal(server.madeAdminToken, true);
    assert.equal((await stat(join(dataDir, "admin-token"))).mode & 0o777, 0o600);
  });

  it("needs a metrics.read credential for /metrics", async () => {
    const refused = await server.app.inject({ url: "/metrics" });
    assert.equal(refused.statusCode, 401);
    assert.match(String(refused.headers["www-authenticate"]), /^Bearer/);
    const served = await server.app.inject({ url: "/metrics", headers: { authorization: bearer } });
    assert.equal(served.statusCode, 200);
    assert.match(served.body, /^# HELP grpc_server_handled_total/m);
  });

  it("answers an unknown route with 401 without a credential and 404 with one", async () => {
    const anonymous = await server.app.inject({ url: "/no/such/route" });
    assert.equal(anonymous.statusCode, 401);
    const known = await server.app.inject({
      url: "/no/such/route",
      headers: { authorization: bearer },
    });
    assert.equal(known.statusCode, 404);
    assert.equal(known.json().code, "unimplemented");
  });

  it("answers a CORS preflight from an allowed origin without a credential", async () => {
    const response = await server.app.inject({
      method: "OPTIONS",
      url: "/sherpa.v1.TaskService/ListTasks",
      headers: {
        origin: "https://console.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
      },
    });
    assert.equal(response.statusCode, 204);
    assert.equal(response.headers["access-control-allow-origin"], "https://console.example.com");
    assert.match(String(response.headers["access-control-allow-headers"]), /authorization/);
  });

  it("says /readyz 200, then 503 once draining", async () => {
    const ready = await server.app.inject({ url: "/readyz" });
    assert.equal(ready.statusCode, 200);
    server.startDraining();
    const draining = await server.app.inject({ url: "/readyz" });
    assert.equal(draining.statusCode, 503);
    assert.deepEqual(draining.json(), { status: "not ready", reason: "shutting down" });
  });
});
