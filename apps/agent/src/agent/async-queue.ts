/**
 * A bounded first-in first-out queue read as an async iterable by one consumer
 * (a request stream handed to a Connect client).
 */
export interface AsyncQueue<T> extends AsyncIterable<T> {
  /**
   * Adds an item, waiting while the queue is full. Resolves false, without
   * adding it, if the queue is closed or aborted first.
   */
  push(item: T): Promise<boolean>;
  /** Adds an item if there is room now; false otherwise. */
  tryPush(item: T): boolean;
  /** Takes no more items; the consumer still gets those already added, then the end. */
  close(): void;
  /** Ends the queue now and returns the items the consumer never took. */
  abort(): T[];
}

/** Creates an AsyncQueue holding at most `capacity` (at least 1) items. */
export function createAsyncQueue<T>(capacity: number): AsyncQueue<T> {
  if (!(capacity >= 1)) {
    throw new RangeError(`createAsyncQueue: capacity must be at least 1, got ${capacity}`);
  }
  const items: T[] = [];
  const blockedPushes: { item: T; resolve: (added: boolean) => void }[] = [];
  let waitingConsumer: ((result: IteratorResult<T>) => void) | undefined;
  let state: "open" | "closed" | "aborted" = "open";

  const hand = (item: T): boolean => {
    if (waitingConsumer !== undefined) {
      const consumer = waitingConsumer;
      waitingConsumer = undefined;
      consumer({ value: item, done: false });
      return true;
    }
    if (items.length < capacity) {
      items.push(item);
      return true;
    }
    return false;
  };

  const abort = (): T[] => {
    state = "aborted";
    const untaken = items.splice(0);
    for (const blocked of blockedPushes.splice(0)) {
      blocked.resolve(false);
    }
    waitingConsumer?.({ value: undefined, done: true });
    waitingConsumer = undefined;
    return untaken;
  };

  const next = (): Promise<IteratorResult<T>> => {
    if (items.length > 0) {
      const item = items.shift() as T;
      const blocked = blockedPushes.shift();
      if (blocked !== undefined) {
        items.push(blocked.item);
        blocked.resolve(true);
      }
      return Promise.resolve({ value: item, done: false });
    }
    if (state !== "open") {
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve) => {
      waitingConsumer = resolve;
    });
  };

  return {
    push(item) {
      if (state !== "open") {
        return Promise.resolve(false);
      }
      if (hand(item)) {
        return Promise.resolve(true);
      }
      return new Promise((resolve) => blockedPushes.push({ item, resolve }));
    },
    tryPush(item) {
      return state === "open" && hand(item);
    },
    close() {
      if (state !== "open") {
        return;
      }
      state = "closed";
      // Pushes still waiting for room were made before the close; next() delivers them.
      if (items.length === 0) {
        waitingConsumer?.({ value: undefined, done: true });
        waitingConsumer = undefined;
      }
    },
    abort,
    [Symbol.asyncIterator]() {
      return {
        next,
        // Connect calls return() or throw() when the call ends early, and insists that both exist.
        return() {
          abort();
          return Promise.resolve({ value: undefined, done: true });
        },
        throw() {
          abort();
          return Promise.resolve({ value: undefined, done: true });
        },
      };
    },
  };
}
