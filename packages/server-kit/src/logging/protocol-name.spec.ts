import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ProtocolName, protocolName } from "./protocol-name.js";

describe("protocolName", () => {
  const cases: [string | null, ProtocolName][] = [
    ["application/grpc", "grpc"],
    ["application/grpc+proto", "grpc"],
    ["application/grpc+json", "grpc"],
    ["application/grpc-web", "grpc-web"],
    ["application/grpc-web+proto", "grpc-web"],
    ["application/grpc-web-text", "grpc-web"],
    ["Application/GRPC-Web+json", "grpc-web"],
    ["application/json", "connect"],
    ["application/proto", "connect"],
    ["application/connect+proto", "connect"],
    [null, "connect"],
  ];
  for (const [contentType, protocol] of cases) {
    it(`reads ${contentType ?? "no content type"} as ${protocol}`, () => {
      assert.equal(protocolName(contentType), protocol);
    });
  }
});
