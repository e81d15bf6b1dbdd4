import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAsyncQueue } from "./async-queue.js";

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) {
    items.push(item);
  }
  return items;
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("createAsyncQueue", () => {
  it("delivers items in order and ends after close", async () => {
    const queue = createAsyncQueue<number>(10);
    assert.equal(queue.push(1), true);
    assert.equal(await queue.pushOrWait(2), true);
    queue.close();
    assert.deepEqual(await drain(queue), [1, 2]);
  });

  it("hands an item straight to a waiting consumer, even at capacity 1", async () => {
    const queue = createAsyncQueue<string>(1);
    const iterator = queue[Symbol.asyncIterator]();
    const next = iterator.next();
    assert.equal(queue.push("a"), true);
    assert.equal(queue.push("b"), true);
    assert.deepEqual(await next, { value: "a", done: false });
    assert.deepEqual(await iterator.next(), { value: "b", done: false });
  });

  describe("push", () => {
    it("refuses an item when the queue is full, and takes one again once there is room", async () => {
      const queue = createAsyncQueue<number>(2);
      assert.equal(queue.push(1), true);
      assert.equal(queue.push(2), true);
      assert.equal(queue.push(3), false);
      const iterator = queue[Symbol.asyncIterator]();
      assert.deepEqual(await iterator.next(), { value: 1, done: false });
      assert.equal(queue.push(4), true);
      queue.close();
      assert.deepEqual(await drain({ [Symbol.asyncIterator]: () => iterator }), [2, 4]);
    });

    it("refuses items after close and after abort", () => {
      const closed = createAsyncQueue<number>(5);
      closed.close();
      assert.equal(closed.push(1), false);
      const aborted = createAsyncQueue<number>(5);
      aborted.abort();
      assert.equal(aborted.push(1), false);
    });
  });

  describe("pushOrWait", () => {
    it("waits while the queue is full and adds the item once the consumer takes one", async () => {
      const queue = createAsyncQueue<number>(1);
      assert.equal(await queue.pushOrWait(1), true);
      let added: boolean | undefined;
      const waiting = queue.pushOrWait(2).then((result) => {
        added = result;
      });
      await settle();
      assert.equal(added, undefined, "pushOrWait returned while the queue was full");
      const iterator = queue[Symbol.asyncIterator]();
      assert.deepEqual(await iterator.next(), { value: 1, done: false });
      await waiting;
      assert.equal(added, true);
      assert.deepEqual(await iterator.next(), { value: 2, done: false });
    });

    it("delivers an item still waiting for room after a close", async () => {
      const queue = createAsyncQueue<number>(1);
      await queue.pushOrWait(1);
      const waiting = queue.pushOrWait(2);
      queue.close();
      assert.deepEqual(await drain(queue), [1, 2]);
      assert.equal(await waiting, true);
    });

    it("resolves false after close, and for a push waiting when the queue is aborted", async () => {
      const queue = createAsyncQueue<number>(2);
      await queue.pushOrWait(1);
      await queue.pushOrWait(2);
      const waiting = queue.pushOrWait(3);
      assert.deepEqual(queue.abort(), [1, 2]);
      assert.equal(await waiting, false);
      assert.deepEqual(await drain(queue), []);
      const closed = createAsyncQueue<number>(1);
      closed.close();
      assert.equal(await closed.pushOrWait(1), false);
    });
  });

  describe("close with an error", () => {
    it("gives the consumer the items already added, then the error, then the end", async () => {
      const queue = createAsyncQueue<number>(5);
      queue.push(1);
      queue.push(2);
      queue.close(new Error("reader too slow"));
      const iterator = queue[Symbol.asyncIterator]();
      assert.deepEqual(await iterator.next(), { value: 1, done: false });
      assert.deepEqual(await iterator.next(), { value: 2, done: false });
      await assert.rejects(iterator.next(), /reader too slow/);
      assert.deepEqual(await iterator.next(), { value: undefined, done: true });
    });

    it("fails a consumer that is waiting", async () => {
      const queue = createAsyncQueue<number>(5);
      const next = queue[Symbol.asyncIterator]().next();
      queue.close(new Error("session revoked"));
      await assert.rejects(next, /session revoked/);
    });

    it("keeps the first close: a later error is not thrown", async () => {
      const queue = createAsyncQueue<number>(5);
      queue.close();
      queue.close(new Error("too late"));
      assert.deepEqual(await drain(queue), []);
    });
  });

  it("ends a waiting consumer on abort", async () => {
    const queue = createAsyncQueue<number>(1);
    const next = queue[Symbol.asyncIterator]().next();
    queue.abort();
    assert.deepEqual(await next, { value: undefined, done: true });
  });

  it("aborts when the consumer stops early", async () => {
    const queue = createAsyncQueue<number>(5);
    queue.push(1);
    queue.push(2);
    for await (const item of queue) {
      assert.equal(item, 1);
      break;
    }
    assert.equal(queue.push(3), false);
    assert.equal(await queue.pushOrWait(3), false);
  });

  it("refuses a capacity below 1", () => {
    assert.throws(() => createAsyncQueue(0), RangeError);
  });
});
