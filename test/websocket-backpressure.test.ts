import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { pollUntil } from "@sherpa/kit/testing";
import { openLogSocket, runLongLogTask } from "./support/long-log.js";
import { parseMetrics, sampleValue } from "./support/metrics-text.js";
import { type StartedServer, startServer } from "./support/start-server.js";

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

  /** The server's resident memory, as its /metrics reports it. */
  async function serverResidentBytes(): Promise<number> {
    const response = await fetch(`${server.baseUrl}/metrics`, { headers: server.adminHeaders });
    const value = sampleValue(parseMetrics(await response.text()), "process_resident_memory_bytes");
    assert.ok(value !== undefined, "/metrics has process_resident_memory_bytes");
    return value;
  }

  test("is cut off (4429, or a reset once the close timeout is over) at the buffer limit, while the server's memory stays flat", async () => {
    // About 40 MB of output: far more than the socket buffers of both ends hold.
    const id = await runLongLogTask(server, 700_000);

    // A reader that keeps up gets the whole log: how many bytes that is, and how
    // long the server takes to produce it.
    const readStartedAt = Date.now();
    const whole = await (await openLogSocket(server, id)).result;
    const wholeLogMs = Date.now() - readStartedAt;
    assert.equal(whole.code, 1000, "a reader that keeps up gets the whole log");

    const residentBefore = await serverResidentBytes();
    const slow = await openLogSocket(server, id);
    // Stop reading: the server's writes pile up behind a full TCP window.
    slow.tcp.pause();
    // A server that queued everything for this reader would hold the whole log
    // within as long as it took to send it to a reader that kept up.
    const allowedGrowthBytes = whole.bytes / 4;
    const watchUntil = Date.now() + wholeLogMs;
    let residentPeak = residentBefore;
    await pollUntil(
      async () => {
        residentPeak = Math.max(residentPeak, await serverResidentBytes());
        return residentPeak;
      },
      (peak) => peak - residentBefore > allowedGrowthBytes || Date.now() >= watchUntil,
      // Never reached: the watch ends at watchUntil, before this.
      { what: "the watch over the server's memory to end", timeoutMs: 2 * wholeLogMs },
    );
    const grownMiB = (residentPeak - residentBefore) / 2 ** 20;
    assert.ok(
      residentPeak - residentBefore <= allowedGrowthBytes,
      `the server's resident memory grew by ${grownMiB.toFixed(1)} MiB while the reader stalled, against ${(whole.bytes / 2 ** 20).toFixed(1)} MiB of log frames`,
    );

    slow.tcp.resume();
    const stalled = await slow.result;
    // The server closes it with 4429; a reader that is still stalled when the close
    // timeout ends has its connection reset instead (1006 here; see
    // websocket-close-timeout.test.ts), which of the two depends on how long it stalled.
    assert.ok(
      stalled.code === 4429 || stalled.code === 1006,
      `closed with ${stalled.code} after ${stalled.bytes} of the ${whole.bytes} bytes of the log's frames`,
    );
    assert.ok(stalled.bytes < whole.bytes, "the stalled reader was cut off before the end");
  });
});
