/**
 * A bounded queue read with `for await`: producers push, one consumer reads.
 * When the consumer falls `limit` items behind, `push` refuses the item so the
 * producer can end the stream instead of letting memory grow without bound.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  private error: unknown;

  constructor(private readonly limit: number) {}

  /** Adds an item; false when the queue is full or ended. */
  push(item: T): boolean {
    if (this.ended || this.items.length >= this.limit) {
      return false;
    }
    this.items.push(item);
    this.wake();
    return true;
  }

  /** Ends the queue: the reader gets the items already queued, then `error` if given. */
  end(error?: unknown): void {
    if (this.ended) {
      return;
    }
    this.ended = true;
    this.error = error;
    this.wake();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.ended) {
        if (this.error !== undefined) {
          throw this.error;
        }
        return;
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  private wake() {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}
