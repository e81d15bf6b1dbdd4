import { randomUUID } from "node:crypto";

// Short and free of anything that could forge log fields or headers.
const saneRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id to use for a request: the caller's `x-request-id` when it is a
 * sane value (1 to 128 characters of letters, digits and `._:-`), else a new
 * random UUID.
 */
export function resolveRequestId(headerValue: string | undefined): string {
  return headerValue !== undefined && saneRequestId.test(headerValue) ? headerValue : randomUUID();
}
