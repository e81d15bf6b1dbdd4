import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { Role } from "@sherpa/proto";
import { RetryInfoSchema } from "@sherpa/proto/google/rpc/error_details_pb.js";
import {
  Code,
  type ConnectError,
  createSherpaClient,
  type SherpaClient,
  type SherpaProtocol,
} from "@sherpa/sdk";
import { accessOf, createTokenClient } from "./support/access-clients.js";
import { curl } from "./support/curl.js";
import { parseMetrics, sampleValue } from "./support/metrics-text.js";
import { reasonOf, rpcErrorOf } from "./support/rpc-error-of.js";
import { type StartedServer, startServer } from "./support/start-server.js";

const protocols: readonly SherpaProtocol[] = ["connect", "grpc", "grpc-web"];

/**
 * The delay a ResourceExhausted error's google.rpc.RetryInfo asks for, in
 * milliseconds, checking that the error carries the ErrorInfo `reason`.
 */
function retryDelayMsOf(error: ConnectError, reason: string): number {
  assert.equal(error.code, Code.ResourceExhausted, error.message);
  assert.equal(reasonOf(error), reason, error.message);
  const [retryInfo] = error.findDetails(RetryInfoSchema);
  assert.ok(retryInfo?.retryDelay, `no RetryInfo with a retry_delay: ${error.message}`);
  const delayMs = durationMs(retryInfo.retryDelay);
  assert.ok(delayMs > 0, `retry_delay is ${delayMs} ms`);
  return delayMs;
}

/** `sherpa_rate_limited_total` with `labels`, scraped with the admin token; 0 before the first. */
async function rateLimitedTotal(
  server: StartedServer,
  labels: Record<string, string>,
  curlOptions: string[] = [],
): Promise<number> {
  const scrape = () =>
    curl([
      ...curlOptions,
      "-H",
      `authorization: Bearer ${server.adminToken}`,
      `${server.baseUrl}/metrics`,
    ]);
  let response = await scrape();
  // /metrics counts against the admin's own bucket too: wait as the 429 says, once per second.
  for (let attempt = 0; attempt < 30 && response.status === 429; attempt += 1) {
    await sleep(1000);
    response = await scrape();
  }
  assert.equal(response.status, 200, response.body);
  return sampleValue(parseMetrics(response.body), "sherpa_rate_limited_total", labels) ?? 0;
}

/** Whether this machine routes a second loopback address, as Linux does for all of 127/8. */
function canBind(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(0, address, () => probe.close(() => resolve(true)));
  });
}

describe("the per-principal rate limit", () => {
  const burst = 3;
  let server: StartedServer;
  let admin: SherpaClient;

  /** Runs an admin call, obeying the server's RetryInfo when the admin's own bucket is empty. */
  const asAdmin = async <T>(call: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await call();
      } catch (caught) {
        const error = caught as ConnectError;
        if (error.code !== Code.ResourceExhausted) {
          throw caught;
        }
        await sleep(retryDelayMsOf(error, "RATE_LIMITED"));
      }
    }
  };

  before(async () => {
    server = await startServer({
      env: { SHERPA_RATE_LIMIT_BURST: String(burst), SHERPA_RATE_LIMIT_PER_SECOND: "2" },
    });
    admin = createSherpaClient({
      baseUrl: server.baseUrl,
      token: server.adminToken,
      timeoutMs: 5000,
    });
  });
  after(() => server.stop());

  /** Calls WhoAmI until the server refuses one; gives up after 100 calls. */
  const callUntilRefused = async (client: SherpaClient) => {
    for (let call = 0; call < 100; call += 1) {
      try {
        await accessOf(client).whoAmI({});
      } catch (caught) {
        return caught as ConnectError;
      }
    }
    assert.fail("100 calls in a row were all served");
  };

  test("plain routes share the principal's budget: /metrics past the burst is 429 with Retry-After", async () => {
    const { secret } = await asAdmin(() =>
      createTokenClient(admin, server.baseUrl, { name: "scraper", role: Role.VIEWER }),
    );
    const statuses: number[] = [];
    let limited: { status: number; headers: string } | undefined;
    for (let call = 0; call < 20 && limited === undefined; call += 1) {
      const response = await curl([
        "-D",
        "-",
        "-H",
        `authorization: Bearer ${secret}`,
        `${server.baseUrl}/metrics`,
      ]);
      statuses.push(response.status);
      if (response.status === 429) {
        limited = { status: response.status, headers: response.body };
      }
    }
    assert.deepEqual(statuses.slice(0, burst), Array(burst).fill(200));
    assert.ok(limited, `never limited: ${statuses.join(",")}`);
    assert.match(limited.headers, /^retry-after: [1-9]\d*\r?$/im);
    assert.match(limited.headers, /"code":"resource_exhausted"/);
  });

  for (const protocol of protocols) {
    test(`${protocol}: past the burst, ResourceExhausted with RetryInfo; after its delay, served again`, async () => {
      const { client } = await asAdmin(() =>
        createTokenClient(admin, server.baseUrl, {
          name: `burst-${protocol}`,
          role: Role.VIEWER,
          protocol,
        }),
      );
      const labels = { reason: "rate", principal_kind: "token" };
      const limitedBefore = await rateLimitedTotal(server, labels);

      // A new principal's bucket is full: the whole burst is served at once.
      for (let call = 0; call < burst; call += 1) {
        await accessOf(client).whoAmI({});
      }
      const refusal = await callUntilRefused(client);
      const delayMs = retryDelayMsOf(refusal, "RATE_LIMITED");

      // The server's own instruction: retry after this long.
      await sleep(delayMs);
      const { principal } = await accessOf(client).whoAmI({});
      assert.equal(principal?.subject, `burst-${protocol}`);
      assert.equal(await rateLimitedTotal(server, labels), limitedBefore + 1);
    });
  }

  test("one principal's burst does not limit another's calls", async () => {
    const first = await asAdmin(() =>
      createTokenClient(admin, server.baseUrl, { name: "noisy", role: Role.VIEWER }),
    );
    const second = await asAdmin(() =>
      createTokenClient(admin, server.baseUrl, { name: "quiet", role: Role.VIEWER }),
    );
    retryDelayMsOf(await callUntilRefused(first.client), "RATE_LIMITED");
    const { principal } = await accessOf(second.client).whoAmI({});
    assert.equal(principal?.subject, "quiet");
  });

  test("a refused call is not served: a submit over the limit creates no task", async () => {
    const submitter = await asAdmin(() =>
      createTokenClient(admin, server.baseUrl, { name: "eager", role: Role.SUBMITTER }),
    );
    const label = { burst: "eager" };
    let served = 0;
    let refusal: ConnectError | undefined;
    while (refusal === undefined && served < 100) {
      const error = await submitter.client.tasks.submitTask({ argv: ["true"], labels: label }).then(
        () => undefined,
        (caught: ConnectError) => caught,
      );
      if (error === undefined) {
        served += 1;
      } else {
        refusal = error;
      }
    }
    assert.ok(refusal, "some submit was refused");
    await sleep(retryDelayMsOf(refusal, "RATE_LIMITED"));
    const { tasks } = await submitter.client.tasks.listTasks({ labels: label, pageSize: 1000 });
    assert.equal(tasks.length, served);
  });
});

describe("the per-peer limit of failed authentications", () => {
  const failuresPerMinute = 30;
  let server: StartedServer;
  /** Every ResourceExhausted the limited address got, for the metric. */
  let refusals = 0;
  /** The latest RetryInfo delay the limited address was given. */
  let lastDelayMs = 0;

  const clientWith = (token: string, protocol: SherpaProtocol = "connect") =>
    createSherpaClient({ baseUrl: server.baseUrl, protocol, token, timeoutMs: 5000 });

  const noteRefusal = (error: ConnectError) => {
    lastDelayMs = retryDelayMsOf(error, "TOO_MANY_AUTH_FAILURES");
    refusals += 1;
  };

  before(async () => {
    server = await startServer({
      env: { SHERPA_AUTH_FAILURES_PER_MINUTE: String(failuresPerMinute) },
    });
  });
  after(() => server.stop());

  test("after a burst of failed authentications, even the admin token from that address gets ResourceExhausted with RetryInfo", async () => {
    const guesser = clientWith(`shp_${"a".repeat(16)}_${"b".repeat(52)}`);
    let failures = 0;
    let limited: ConnectError | undefined;
    while (limited === undefined && failures < 10 * failuresPerMinute) {
      const error = await rpcErrorOf(accessOf(guesser).whoAmI({}));
      if (error.code === Code.Unauthenticated) {
        failures += 1;
      } else {
        limited = error;
      }
    }
    assert.ok(limited, `${failures} failed authentications were never limited`);
    assert.ok(failures >= failuresPerMinute, `limited after only ${failures} failures`);
    noteRefusal(limited);

    for (const protocol of protocols) {
      const error = await rpcErrorOf(accessOf(clientWith(server.adminToken, protocol)).whoAmI({}));
      noteRefusal(error);
    }
    const metrics = await curl([
      "-H",
      `authorization: Bearer ${server.adminToken}`,
      `${server.baseUrl}/metrics`,
    ]);
    assert.equal(metrics.status, 429, metrics.body);
    refusals += 1;
  });

  test("a spoofed X-Forwarded-For does not escape the limit", async () => {
    const response = await curl([
      "-H",
      "content-type: application/json",
      "-H",
      "x-forwarded-for: 203.0.113.7",
      "-H",
      `authorization: Bearer ${server.adminToken}`,
      "-d",
      "{}",
      `${server.baseUrl}/sherpa.v1.AccessService/WhoAmI`,
    ]);
    assert.equal(JSON.parse(response.body).code, "resource_exhausted", response.body);
    refusals += 1;
  });

  test("another peer address is still served", async (t) => {
    if (!(await canBind("127.0.0.2"))) {
      t.skip("this machine does not route 127.0.0.2");
      return;
    }
    const response = await curl([
      "--interface",
      "127.0.0.2",
      "-H",
      "content-type: application/json",
      "-H",
      `authorization: Bearer ${server.adminToken}`,
      "-d",
      "{}",
      `${server.baseUrl}/sherpa.v1.AccessService/WhoAmI`,
    ]);
    assert.equal(response.status, 200, response.body);
    assert.equal(JSON.parse(response.body).principal.subject, "admin");
  });

  test("after the RetryInfo delay the admin token is served again; sherpa_rate_limited_total counted every refusal", async () => {
    assert.ok(lastDelayMs > 0, "the address was limited");
    // The server's own instruction: retry after this long.
    await sleep(lastDelayMs);
    const { principal } = await accessOf(clientWith(server.adminToken, "grpc")).whoAmI({});
    assert.equal(principal?.subject, "admin");
    const counted = await rateLimitedTotal(server, { reason: "auth_failures" });
    assert.equal(counted, refusals);
  });
});
