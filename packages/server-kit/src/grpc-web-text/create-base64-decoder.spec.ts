import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createBase64Decoder } from "./create-base64-decoder.js";

/** Decodes `chunks` one after another, as they would arrive from the network. */
function decodeAll(chunks: string[]): string {
  const decoder = createBase64Decoder();
  const decoded = chunks.map((chunk) => decoder.push(Buffer.from(chunk, "latin1")));
  decoder.end();
  return Buffer.concat(decoded).toString("latin1");
}

describe("createBase64Decoder", () => {
  const decodes = [
    { name: "one chunk", chunks: ["aGVsbG8="], text: "hello" },
    { name: "chunks cut mid-quartet", chunks: ["aG", "VsbG", "8", "="], text: "hello" },
    { name: "pieces padded on their own", chunks: ["aGk=", "dGhlcmU="], text: "hithere" },
    { name: "padding inside one chunk", chunks: ["aQ==aGk="], text: "ihi" },
    { name: "nothing", chunks: [], text: "" },
  ];
  for (const { name, chunks, text } of decodes) {
    it(`decodes ${name}`, () => {
      assert.equal(decodeAll(chunks), text);
    });
  }

  const refusals = [
    { name: "a character outside the alphabet", chunks: ["aGVs*G8="] },
    { name: "URL-safe base64", chunks: ["a-_s"] },
    { name: "padding in the middle of a quartet", chunks: ["aG=sbG8="] },
    { name: "three padding characters", chunks: ["a==="] },
    { name: "an unfinished quartet at the end", chunks: ["aGVsbG"] },
  ];
  for (const { name, chunks } of refusals) {
    it(`refuses ${name} as InvalidArgument`, () => {
      assert.throws(() => decodeAll(chunks), /\[invalid_argument\] gRPC-Web text body/);
    });
  }
});
