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

const testToken = testAuthorization.replace(/^Bearer /, "");

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

      it("sends the token option as a bearer authorization header", async () => {
        const client = createSherpaClient({
          baseUrl: servers.get(server)?.baseUrl ?? "",
          protocol,
          httpVersion,
          token: testToken,
        });
        const { task } = await client.tasks.getTask({ id: "task-2" });
        assert.equal(task?.id, "task-2");
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

  describe("token", () => {
    const baseUrl = () => servers.get("1.1")?.baseUrl ?? "";
    let savedEnvToken: string | undefined;
    before(() => {
      savedEnvToken = process.env.SHERPA_TOKEN;
    });
    after(() => {
      restoreEnvToken(savedEnvToken);
    });

    it("calls a token function before every call, so a rotated token is used", async () => {
      const tokens = [testToken, "rotated-away"];
      let calls = 0;
      const client = createSherpaClient({ baseUrl: baseUrl(), token: () => tokens[calls++] ?? "" });
      await client.tasks.getTask({ id: "task-3" });
      await assert.rejects(client.tasks.getTask({ id: "task-3" }), hasCode(Code.Unauthenticated));
      assert.equal(calls, 2);
    });

    it("awaits a token function that returns a promise", async () => {
      const client = createSherpaClient({ baseUrl: baseUrl(), token: async () => testToken });
      const { task } = await client.tasks.getTask({ id: "task-4" });
      assert.equal(task?.id, "task-4");
    });

    it("lets an authorization header in the call's options win over the token", async () => {
      const client = createSherpaClient({ baseUrl: baseUrl(), token: "wrong" });
      const { task } = await client.tasks.getTask(
        { id: "task-5" },
        { headers: { authorization: testAuthorization } },
      );
      assert.equal(task?.id, "task-5");
    });

    it("sends SHERPA_TOKEN when no token is given", async () => {
      process.env.SHERPA_TOKEN = testToken;
      const client = createSherpaClient({ baseUrl: baseUrl() });
      const { task } = await client.tasks.getTask({ id: "task-6" });
      assert.equal(task?.id, "task-6");
    });

    it("prefers the token option, then an authorization header, to SHERPA_TOKEN", async () => {
      process.env.SHERPA_TOKEN = "from-the-environment";
      const byOption = createSherpaClient({ baseUrl: baseUrl(), token: testToken });
      await byOption.tasks.getTask({ id: "task-7" });
      const byHeader = createSherpaClient({
        baseUrl: baseUrl(),
        headers: { authorization: testAuthorization },
      });
      await byHeader.tasks.getTask({ id: "task-7" });
    });

    it("sends no token when SHERPA_TOKEN is empty", async () => {
      process.env.SHERPA_TOKEN = "";
      const client = createSherpaClient({ baseUrl: baseUrl() });
      await assert.rejects(client.tasks.getTask({ id: "task-8" }), hasCode(Code.Unauthenticated));
    });

    it("fails a call, without sending it, when a token function returns an empty token", async () => {
      const client = createSherpaClient({ baseUrl: baseUrl(), token: () => "" });
      await assert.rejects(client.tasks.getTask({ id: "task-9" }), (error) => {
        assert.ok(error instanceof ConnectError);
        assert.equal(error.code, Code.Unauthenticated);
        assert.match(error.rawMessage, /option "token" returned no token/);
        return true;
      });
    });
  });

  const invalid: { name: string; options: Parameters<typeof createSherpaClient>[0] }[] = [
    { name: "baseUrl", options: { baseUrl: "localhost:8080" } },
    { name: "token", options: { baseUrl: "http://localhost", token: "" } },
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

function restoreEnvToken(saved: string | undefined): void {
  if (saved === undefined) {
    delete process.env.SHERPA_TOKEN;
  } else {
    process.env.SHERPA_TOKEN = saved;
  }
}
