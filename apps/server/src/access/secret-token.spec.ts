import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newToken, parseToken, secretMatches } from "./secret-token.js";

describe("secret tokens", () => {
  for (const [kind, prefix] of [
    ["api", "shp_"],
    ["join", "shj_"],
    ["node", "shn_"],
  ] as const) {
    it(`makes ${kind} tokens starting with ${prefix} that parse back and match their hash`, () => {
      const token = newToken(kind);
      assert.ok(token.text.startsWith(`${prefix}${token.id}_`));
      const parsed = parseToken(token.text);
      assert.deepEqual(parsed && { kind: parsed.kind, id: parsed.id }, { kind, id: token.id });
      assert.ok(secretMatches(parsed?.secret ?? "", token.secretHash));
      assert.ok(!token.secretHash.includes(parsed?.secret ?? "-"), "the hash is not the secret");
    });
  }

  it("makes a different secret every time", () => {
    const texts = new Set(Array.from({ length: 100 }, () => newToken("api").text));
    assert.equal(texts.size, 100);
  });

  it("refuses a secret that differs in one character", () => {
    const token = newToken("api");
    const secret = parseToken(token.text)?.secret ?? "";
    const forged = `${secret.slice(0, -1)}${secret.endsWith("a") ? "b" : "a"}`;
    assert.equal(secretMatches(forged, token.secretHash), false);
  });

  for (const text of [
    "",
    "shp_",
    "Bearer shp_aaaaaaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "shx_aaaaaaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "shp_AAAAAAAAAAAAAAAA_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "shp_aaaaaaaaaaaaaaaa_aaaa",
    "eyJhbGciOiJub25lIn0.e30.",
  ]) {
    it(`does not parse ${JSON.stringify(text.slice(0, 30))}`, () => {
      assert.equal(parseToken(text), undefined);
    });
  }
});
