import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { malformedRequestError } from "./malformed-request-error.js";

describe("malformedRequestError", () => {
  it("makes connect-es's Internal for bytes that do not parse InvalidArgument, keeping the cause", () => {
    const parseError = new ConnectError("parse binary: premature EOF", Code.Internal);
    const error = malformedRequestError(parseError);
    assert.equal(error.code, Code.InvalidArgument);
    assert.equal(error.rawMessage, "the request could not be decoded: parse binary: premature EOF");
    assert.equal(error.cause, parseError);
  });

  const kept = [
    { name: "a message over the size limit", code: Code.ResourceExhausted },
    { name: "JSON that does not parse", code: Code.InvalidArgument },
    { name: "an unknown encoding", code: Code.Unimplemented },
    { name: "a deadline that passed", code: Code.DeadlineExceeded },
    {
      name: "received compressed envelope, but do not know how to decompress",
      code: Code.Internal,
    },
  ];
  for (const { name, code } of kept) {
    it(`keeps ${Code[code]} (${name}) as it is`, () => {
      const original = new ConnectError(name, code);
      assert.equal(malformedRequestError(original), original);
    });
  }
});
