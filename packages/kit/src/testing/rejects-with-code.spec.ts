import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { rejectsWithCode } from "./rejects-with-code.js";

describe("rejectsWithCode", () => {
  it("returns the error of a call failing with the code and a matching message", async () => {
    const error = await rejectsWithCode(
      Promise.reject(new ConnectError('task "t-1" not found', Code.NotFound)),
      Code.NotFound,
      /not found/,
    );
    assert.equal(error.rawMessage, 'task "t-1" not found');
  });

  const failures: [string, Promise<unknown>, RegExp | undefined, RegExp][] = [
    ["a call that succeeds", Promise.resolve("ok"), undefined, /Missing expected rejection/],
    [
      "another code",
      Promise.reject(new ConnectError("queue is closed", Code.FailedPrecondition)),
      undefined,
      /unexpected code; message: queue is closed/,
    ],
    ["an error that is no ConnectError", Promise.reject(new Error("boom")), undefined, /boom/],
    [
      "a message that does not match",
      Promise.reject(new ConnectError("task not found", Code.NotFound)),
      /queue/,
      /match/,
    ],
  ];
  for (const [name, call, message, failure] of failures) {
    it(`fails the test for ${name}`, async () => {
      await assert.rejects(rejectsWithCode(call, Code.NotFound, message), failure);
    });
  }
});
