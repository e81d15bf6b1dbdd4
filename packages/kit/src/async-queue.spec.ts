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

describe("createAsyncQueue", () => {
  it("delivers items in order and ends after close", async () => {
    const queue = createAsyncQueue<number>(10);
    await queue.push(1);
    await queue.push(2);
    queue.close();
    assert.deepEqual(await drain(queue), [1, 2]);
    assert.equal(await queue.push(3), false);
  });

  it("hands an item straight to a waiting consumer", async () => {
    const queue = createAsyncQueue<string>(1);
    const iterator = queue[Symbol.asyncIterator]();
    const next = iterator.next();
    assert.equal(queue.tryPush("a"), true);
    assert.deepEqual(await next, { value: "a", done: false });
  });

  it("makes a push wait while full, and delivers it after a close", async () => {
    const queue = createAsyncQueue<number>(1);
    assert.equal(await queue.push(1), true);
    assert.equal(queue.tryPush(2), false);
    let added: boolean | undefined;
    const blocked = queue.push(2).then((result) => {
      added = result;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(added, undefined, "push returned while the queue was full");
    queue.close();
    assert.deepEqual(await drain(queue), [1, 2]);
    await blocked;
    assert.equal(added, true);
  });

  it("returns the untaken items on abort and refuses the waiting pushes", async () => {
    const queue = createAsyncQueue<number>(2);
    await queue.push(1);
    await queue.push(2);
    const blocked = queue.push(3);
    assert.deepEqual(queue.abort(), [1, 2]);
    assert.equal(await blocked, false);
    assert.deepEqual(await drain(queue), []);
  });

  it("ends a waiting consumer on abort", async () => {
    const queue = createAsyncQueue<number>(1);
    const next = queue[Symbol.asyncIterator]().next();
    queue.abort();
    assert.deepEqual(await next, { value: undefined, done: true });
  });

  it("aborts when the consumer stops early", async () => {
    const queue = createAsyncQueue<number>(5);
    await queue.push(1);
    await queue.push(2);
    for await (const item of queue) {
      assert.equal(item, 1);
      break;
    }
    assert.equal(await queue.push(3), false);
  });
});
