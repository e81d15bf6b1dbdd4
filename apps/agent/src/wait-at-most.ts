/**
 * Waits for `promise` for at most `ms` milliseconds: true if it settled in time
 * (whether fulfilled or rejected), false if not. Unlike racing a sleep, it
 * leaves no timer behind to keep the process alive.
 */
export function waitAtMost(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const settle = () => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(settle, settle);
  });
}
