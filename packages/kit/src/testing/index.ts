export type { PollUntilOptions } from "./poll-until.js";
export { pollUntil, waitFor } from "./poll-until.js";
export { rejectsWithCode } from "./rejects-with-code.js";
