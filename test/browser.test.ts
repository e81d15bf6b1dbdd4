import assert from "node:assert/strict";
import { test } from "node:test";
import { createSherpaClient, type SherpaProtocol } from "@sherpa/sdk";
import { bundlePageScript } from "./browser/bundle-page-script.js";
import { launchChromium } from "./browser/launch-chromium.js";
import { servePage } from "./browser/serve-page.js";
import { callSherpaPage, openSherpaPage } from "./browser/sherpa-page.js";
import { requireTool } from "./support/require-tool.js";
import { startServer } from "./support/start-server.js";

const browserProtocols = ["grpc-web", "connect"] as const satisfies readonly SherpaProtocol[];
/** Prints a little at a time, so that a stream opened at once still sees the task run. */
const printingTask = ["sh", "-c", "for i in 1 2 3; do echo line $i; sleep 0.1; done"];
const printedLines = ["line 1", "line 2", "line 3"];

test("the SDK's browser build, in Chromium on another origin than the server", async (t) => {
  const chromiumPath = await requireTool(t, "chromium");
  if (chromiumPath === undefined) {
    return;
  }
  const pageScript = await bundlePageScript();
  const allowedSite = await servePage(pageScript);
  t.after(() => allowedSite.close());
  const foreignSite = await servePage(pageScript);
  t.after(() => foreignSite.close());
  const server = await startServer({
    env: {
      SHERPA_EMBEDDED_AGENT: "true",
      SHERPA_AGENT_GPUS: "1xNVIDIA A100-SXM4-80GB",
      SHERPA_CORS_ORIGINS: allowedSite.origin,
    },
  });
  t.after(() => server.stop());
  const browser = await launchChromium(chromiumPath);
  t.after(() => browser.close());
  const page = await openSherpaPage(browser, allowedSite.origin);
  const webSocketUrl = server.baseUrl.replace(/^http/, "ws");

  const client = createSherpaClient({
    baseUrl: server.baseUrl,
    token: server.adminToken,
    timeoutMs: 15_000,
  });
  const { task } = await client.tasks.submitTask({ argv: printingTask, gpuCount: 1 });
  const taskId = task?.id ?? "";

  for (const protocol of browserProtocols) {
    await t.test(`StreamTaskLogs over ${protocol} follows the task to its end`, async () => {
      const texts = await callSherpaPage(
        page,
        "streamTaskLogTexts",
        server.baseUrl,
        protocol,
        server.adminToken,
        taskId,
      );
      assert.deepEqual(texts, printedLines);
    });
  }

  for (const protocol of browserProtocols) {
    await t.test(`ListQueues over ${protocol} lists the default queue`, async () => {
      const requestId = `browser-${protocol}`;
      const names = await callSherpaPage(
        page,
        "listQueueNames",
        server.baseUrl,
        protocol,
        server.adminToken,
        requestId,
      );
      assert.ok(names.includes("default"), `queues: ${names.join(", ")}`);
      // The server's log shows the call came from Chromium over that protocol.
      const logged = await server.waitForLogLine((line) => line.requestId === requestId);
      assert.equal(logged.protocol, protocol);
      assert.match(String(logged.userAgent), /Chrome\//);
    });
  }

  await t.test(
    "the logs WebSocket sends the lines, then the ended task, and closes with 1000",
    async () => {
      const tail = await callSherpaPage(
        page,
        "tailWebSocket",
        `${webSocketUrl}/v1/tasks/${taskId}/logs`,
        server.adminToken,
      );
      assert.equal(tail.closeCode, 1000, tail.closeReason);
      assert.equal(tail.protocol, "sherpa.v1");
      const lineTexts = tail.frames
        .filter((frame) => frame.type === "lines")
        .flatMap((frame) => (frame.lines as { text: string }[]).map((line) => line.text));
      assert.deepEqual(lineTexts, printedLines);
      const end = tail.frames.at(-1) as { type: string; task: { id: string; state: string } };
      assert.equal(end.type, "end");
      assert.equal(end.task.id, taskId);
      assert.equal(end.task.state, "TASK_STATE_SUCCEEDED");
    },
  );

  await t.test(
    "a page on an origin not in SHERPA_CORS_ORIGINS is refused before its call runs, even with a token",
    async () => {
      const foreignPage = await openSherpaPage(browser, foreignSite.origin);
      for (const protocol of browserProtocols) {
        const requestId = `foreign-${protocol}`;
        await assert.rejects(
          callSherpaPage(
            foreignPage,
            "listQueueNames",
            server.baseUrl,
            protocol,
            server.adminToken,
            requestId,
          ),
          /Failed to fetch/,
        );
        // The preflight failed, so the call itself was never sent: no RPC was logged.
        assert.ok(server.logLines().every((line) => line.requestId !== requestId));
      }
      // Browsers apply no CORS to WebSockets; the server refuses the upgrade itself.
      const tail = await callSherpaPage(
        foreignPage,
        "tailWebSocket",
        `${webSocketUrl}/v1/tasks/${taskId}/logs`,
        server.adminToken,
      );
      assert.deepEqual(tail.frames, []);
      assert.equal(tail.closeCode, 1006);
    },
  );
});
