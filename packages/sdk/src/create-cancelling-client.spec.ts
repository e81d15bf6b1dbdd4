import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRouterTransport } from "@connectrpc/connect";
import { TaskService } from "@sherpa/proto";
import { createCancellingClient } from "./create-cancelling-client.js";

/**
 * A TaskService whose WatchTasks sends one event, then waits; `ended` resolves
 * with the reason its call's signal aborted with.
 */
function watchThatWaits() {
  let resolveEnded: (reason: unknown) => void = () => {};
  const ended = new Promise<unknown>((resolve) => {
    resolveEnded = resolve;
  });
  const transport = createRouterTransport(({ service }) => {
    service(TaskService, {
      async *watchTasks(_request, context) {
        context.signal.addEventListener("abort", () => resolveEnded(context.signal.reason));
        yield { current: true };
        await new Promise(() => {
          // Waits for an event that never comes: only the abort ends the call.
        });
      },
    });
  });
  return { client: createCancellingClient(TaskService, transport), ended };
}

/** Resolves with what `promise` resolved with, or "still running" after 1 s. */
async function withinOneSecond(promise: Promise<unknown>) {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise((resolve) => {
        timer = setTimeout(() => resolve("still running"), 1000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe("createCancellingClient", () => {
  it("cancels a server stream whose caller breaks out of for await", async () => {
    const { client, ended } = watchThatWaits();
    for await (const event of client.watchTasks({})) {
      assert.equal(event.current, true);
      break;
    }
    const reason = await withinOneSecond(ended);
    assert.notEqual(reason, "still running", "the server's call was not cancelled");
  });

  it("still cancels the stream when the caller's own signal aborts", async () => {
    const { client, ended } = watchThatWaits();
    const controller = new AbortController();
    const events = client.watchTasks({}, { signal: controller.signal })[Symbol.asyncIterator]();
    assert.equal((await events.next()).value?.current, true);
    controller.abort();
    await assert.rejects(events.next());
    assert.notEqual(await withinOneSecond(ended), "still running");
  });

  it("leaves unary calls as connect-es makes them", async () => {
    const transport = createRouterTransport(({ service }) => {
      service(TaskService, { getTask: (request) => ({ task: { id: request.id } }) });
    });
    const { task } = await createCancellingClient(TaskService, transport).getTask({ id: "t-1" });
    assert.equal(task?.id, "t-1");
  });
});
