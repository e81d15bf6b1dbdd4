import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ConnectRouter } from "@connectrpc/connect";
import { TaskService, TaskState } from "@sherpa/proto";
import { runCaptured } from "./testing/run-captured.js";
import { type FakeServer, startFakeServer } from "./testing/start-fake-server.js";

/**
 * The wire protocol --protocol picks, as the server sees it: run-cli.spec.ts
 * shows that each value reaches a server, this that each speaks its own protocol.
 */
describe("--protocol", () => {
  // The task's ID is the Content-Type the call came with, so the CLI prints it.
  const routes = (router: ConnectRouter) =>
    router.service(TaskService, {
      getTask: (_request, context) => ({
        task: { id: context.requestHeader.get("content-type") ?? "", state: TaskState.RUNNING },
      }),
    });
  let http1: FakeServer;
  let http2: FakeServer;
  before(async () => {
    http1 = await startFakeServer(routes);
    http2 = await startFakeServer(routes, "2");
  });
  after(async () => {
    await http1.close();
    await http2.close();
  });

  const cases: [string, string[], () => FakeServer, string][] = [
    ["no --protocol (Connect)", [], () => http1, "application/json"],
    ["--protocol connect", ["--protocol", "connect"], () => http1, "application/json"],
    ["--protocol grpc-web", ["--protocol", "grpc-web"], () => http1, "application/grpc-web+proto"],
    ["--protocol grpc", ["--protocol", "grpc"], () => http2, "application/grpc+proto"],
  ];
  for (const [label, flags, server, contentType] of cases) {
    it(`${label} calls with content-type ${contentType}`, async () => {
      const run = await runCaptured([...flags, "--server", server().url, "tasks", "get", "t-1"]);
      assert.equal(run.exitCode, 0, run.stderr);
      assert.equal(/^ID: +(.*)$/m.exec(run.stdout)?.[1], contentType, run.stdout);
    });
  }
});
