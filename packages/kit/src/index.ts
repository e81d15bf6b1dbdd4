export type { AsyncQueue } from "./async-queue.js";
export { createAsyncQueue } from "./async-queue.js";
