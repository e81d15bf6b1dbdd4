import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TaskState } from "@sherpa/proto";
import type { SherpaHttpVersion, SherpaProtocol } from "./client-options.js";
import { createSherpaClient } from "./create-sherpa-client.js";
import { Code, ConnectError } from "./index.js";
import {
  slowTaskId,
  startTestTaskServer,
  type TestTaskServer,
  testAuthorization,
} from "./testing/start-task-server.js";

// httpVersion is left out where the default must pick the right one.
const cases: { protocol: SherpaProtocol; httpVersion?: SherpaHttpVersion; server: "1.1" | "2" }[] =
  [
    { protocol: "connect", server: "1.1" },
    { protocol: "connect", httpVersion: "2", server: "2" },
    { protocol: "grpc-web", server: "1.1" },
    { protocol: "grpc-web", httpVersion: "2", server: "2" },
    { protocol: "grpc", server: "2" },
  ];

function hasCode(code: Code) {
  return (error: unknown) => error instanceof ConnectError && error.code === code;
}

describe("createSherpaClient (Node.js)", () => {
  const servers = new Map<"1.1" | "2", TestTaskServer>();
  before(async () => {
    servers.set("1.1", await startTestTaskServer("1.1"));
    servers.set("2", await startTestTaskServer("2"));
  });
  after(async () => {
    await Promise.all([...servers.values()].map((server) => server.close()));
  });

  for (const { protocol, httpVersion, server } of cases) {
    describe(`${protocol} over HTTP/${server}`, () => {
      const connect = (timeoutMs?: number, headers = { authorization: testAuthorization }) =>
        createSherpaClient({
          baseUrl: servers.get(server)?.baseUrl ?? "",
          protocol,
          httpVersion,
          timeoutMs,
          headers,
        });

      it("returns the task asked for", async () => {
        const { task } = await connect().tasks.getTask({ id: "task-42" });
        assert.equal(task?.id, "task-42");
        assert.equal(task?.state, TaskState.RUNNING);
      });

      it("surfaces a server error as ConnectError with its code and message", async () => {
        await assert.rejects(connect().tasks.getTask({ id: "missing-1" }), (error) => {
          assert.ok(error instanceof ConnectError);
          assert.equal(error.code, Code.NotFound);
          assert.equal(error.rawMessage, "task missing-1 not found");
          return true;
        });
      });

      it("sends the client's headers with every call", async () => {
        const client = connect(undefined, { authorization: "Bearer wrong" });
        await assert.rejects(client.tasks.getTask({ id: "task-1" }), hasCode(Code.Unauthenticated));
        const { task } = await client.tasks.getTask(
          { id: "task-1" },
          { headers: { authorization: testAuthorization } },
        );
        assert.equal(task?.id, "task-1");
      });

      it("fails with DeadlineExceeded when the server is slower than timeoutMs", async () => {
        const started = performance.now();
        await assert.rejects(
          connect(50).tasks.getTask({ id: slowTaskId }),
          hasCode(Code.DeadlineExceeded),
        );
        assert.ok(performance.now() - started < 5_000, "the deadline did not cut the call short");
      });
    });
  }

  const invalid: { name: string; options: Parameters<typeof createSherpaClient>[0] }[] = [
    { name: "baseUrl", options: { baseUrl: "localhost:8080" } },
    {
      name: "httpVersion",
      options: { baseUrl: "http://localhost", protocol: "grpc", httpVersion: "1.1" },
    },
    { name: "nodeOptions", options: { baseUrl: "http://localhost", nodeOptions: { ca: "pem" } } },
  ];
  for (const { name, options } of invalid) {
    it(`throws an error naming option "${name}" when it is invalid`, () => {
      assert.throws(() => createSherpaClient(options), { message: new RegExp(`option "${name}"`) });
    });
  }
});
