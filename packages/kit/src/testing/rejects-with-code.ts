import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Asserts that `call` fails with a ConnectError of `code` whose message
 * matches `message` when given; returns the error for further checks.
 */
export async function rejectsWithCode(
  call: Promise<unknown>,
  code: Code,
  message?: RegExp,
): Promise<ConnectError> {
  let caught: unknown;
  await assert.rejects(call, (error) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof ConnectError, `expected a ConnectError, got ${String(caught)}`);
  assert.equal(Code[caught.code], Code[code], `unexpected code; message: ${caught.rawMessage}`);
  if (message !== undefined) {
    assert.match(caught.rawMessage, message);
  }
  return caught;
}
