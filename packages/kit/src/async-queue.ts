/**
 * A bounded first-in first-out queue that one consumer reads with `for await`
 * (a server stream's outbox, a request stream handed to a Connect client).
 * When it is full, a producer chooses: `push` refuses the item at once (the
 * producer can then end the stream instead of letting memory grow), while
 * `pushOrWait` waits for room (the producer slows down to the consumer's pace).
 */
export interface AsyncQueue<T> extends AsyncIterable<T> {
  /** Adds an item if there is room now; false, without adding it, when full or closed. */
  push(item: T): boolean;
  /**
   * Adds an item, waiting while the queue is full. Resolves false, without
   * adding it, when the queue was closed before, or is aborted while it waits.
   */
  pushOrWait(item: T): Promise<boolean>;
  /**
   * Takes no more items. The consumer still gets those already added (and
   * those of pushes waiting for room), then the end, or `error` if given.
   */
  close(error?: unknown): void;
  /** Ends the queue now: returns the items the consumer never took; waiting pushes resolve false. */
  abort(): T[];
}

interface WaitingConsumer<T> {
  resolve(result: IteratorResult<T>): void;
  reject(error: unknown): void;
}

/**
 * Creates an AsyncQueue holding at most `capacity` (at least 1) items. A
 * consumer that stops early (`break`, or Connect ending the call) aborts it.
 */
export function createAsyncQueue<T>(capacity: number): AsyncQueue<T> {
  if (!(capacity >= 1)) {
    throw new RangeError(`createAsyncQueue: capacity must be at least 1, got ${capacity}`);
  }
  const items: T[] = [];
  const waitingPushes: { item: T; resolve: (added: boolean) => void }[] = [];
  let waitingConsumer: WaitingConsumer<T> | undefined;
  let state: "open" | "closed" | "aborted" = "open";
  let closeError: { error: unknown } | undefined;

  const takeConsumer = (): WaitingConsumer<T> | undefined => {
    const consumer = waitingConsumer;
    waitingConsumer = undefined;
    return consumer;
  };

  const hand = (item: T): boolean => {
    const consumer = takeConsumer();
    if (consumer !== undefined) {
      consumer.resolve({ value: item, done: false });
      return true;
    }
    if (items.length < capacity) {
      items.push(item);
      return true;
    }
    return false;
  };

  // The end as the consumer sees it: done, or the close error once.
  const end = (): Promise<IteratorResult<T>> => {
    const ended = closeError;
    closeError = undefined;
    return ended === undefined
      ? Promise.resolve({ value: undefined, done: true })
      : Promise.reject(ended.error);
  };

  const abort = (): T[] => {
    state = "aborted";
    closeError = undefined;
    const untaken = items.splice(0);
    for (const waiting of waitingPushes.splice(0)) {
      waiting.resolve(false);
    }
    takeConsumer()?.resolve({ value: undefined, done: true });
    return untaken;
  };

  const next = (): Promise<IteratorResult<T>> => {
    if (items.length > 0) {
      const item = items.shift() as T;
      const waiting = waitingPushes.shift();
      if (waiting !== undefined) {
        items.push(waiting.item);
        waiting.resolve(true);
      }
      return Promise.resolve({ value: item, done: false });
    }
    if (state !== "open") {
      return end();
    }
    return new Promise((resolve, reject) => {
      waitingConsumer = { resolve, reject };
    });
  };

  return {
    push(item) {
      return state === "open" && hand(item);
    },
    pushOrWait(item) {
      if (state !== "open") {
        return Promise.resolve(false);
      }
      if (hand(item)) {
        return Promise.resolve(true);
      }
      return new Promise((resolve) => waitingPushes.push({ item, resolve }));
    },
    close(error?: unknown) {
      if (state !== "open") {
        return;
      }
      state = "closed";
      closeError = error === undefined ? undefined : { error };
      // Pushes still waiting for room were made before the close; next() delivers them.
      if (items.length === 0) {
        const consumer = takeConsumer();
        if (consumer !== undefined) {
          end().then(consumer.resolve, consumer.reject);
        }
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
