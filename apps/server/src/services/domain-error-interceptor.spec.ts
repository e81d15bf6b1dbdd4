import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { rejectsWithCode } from "@sherpa/kit/testing";
import { createTestTransport, type TestTransport } from "./testing/create-test-transport.js";

const secret = "SQLITE_CORRUPT: /var/lib/sherpa/sherpa.db page 7";

describe("createDomainErrorInterceptor", () => {
  let api: TestTransport | undefined;
  afterEach(() => api?.close());

  it("turns an unexpected error into Internal without its text, and logs it once", async () => {
    const failure = new Error(secret);
    api = await createTestTransport({
      wrapStores: (stores) => ({
        ...stores,
        tasks: {
          ...stores.tasks,
          getTask: () => Promise.reject(failure),
        },
      }),
    });
    const error = await rejectsWithCode(
      api.tasks.getTask({ id: "any" }, { headers: { "x-request-id": "req-42" } }),
      Code.Internal,
    );
    assert.doesNotMatch(error.message, /SQLITE|sherpa\.db/);
    assert.match(error.rawMessage, /server logged the cause with request id req-42/);
    assert.equal(api.loggedErrors.length, 1);
    assert.deepEqual(api.loggedErrors[0]?.details, {
      err: failure,
      url: "https://in-memory/sherpa.v1.TaskService/GetTask",
      reqId: "req-42",
    });
  });

  it("gives streaming calls the same codes: an unknown task is NotFound, not Internal", async () => {
    api = await createTestTransport();
    const transport = api;
    const drain = async (messages: AsyncIterable<unknown>) => {
      for await (const _ of messages) {
        // Only the error matters.
      }
    };
    await rejectsWithCode(
      drain(transport.tasks.streamTaskLogs({ id: "missing", follow: true })),
      Code.NotFound,
      /missing/,
    );
    await rejectsWithCode(
      drain(transport.tasks.watchTasks({ taskIds: ["missing"], includeCurrent: true })),
      Code.NotFound,
      /missing/,
    );
    assert.deepEqual(api.loggedErrors, []);
  });

  it("passes a ConnectError thrown by a handler through unchanged, without logging", async () => {
    api = await createTestTransport({
      wrapStores: (stores) => ({
        ...stores,
        queues: {
          ...stores.queues,
          listQueues: () => Promise.reject(new ConnectError("slow down", Code.ResourceExhausted)),
        },
      }),
    });
    await rejectsWithCode(api.queues.listQueues({}), Code.ResourceExhausted, /^slow down$/);
    assert.deepEqual(api.loggedErrors, []);
  });

  it("does not log the caller's mistakes", async () => {
    api = await createTestTransport();
    await rejectsWithCode(api.tasks.getTask({ id: "missing" }), Code.NotFound);
    await rejectsWithCode(
      api.queues.createQueue({ queue: { name: "default" } }),
      Code.AlreadyExists,
    );
    await rejectsWithCode(api.queues.deleteQueue({ name: "all-nodes" }), Code.NotFound);
    await rejectsWithCode(
      api.resourceGroups.deleteResourceGroup({ name: "all-nodes" }),
      Code.FailedPrecondition,
    );
    await rejectsWithCode(api.tasks.listTasks({ pageToken: "x" }), Code.InvalidArgument);
    await rejectsWithCode(api.tasks.submitTask({}), Code.InvalidArgument);
    assert.deepEqual(api.loggedErrors, []);
  });
});
