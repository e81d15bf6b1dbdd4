import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Role, TokenKind } from "@sherpa/proto";
import { UsageError } from "../usage-error.js";
import { parseCommaList } from "./parse-comma-list.js";
import { parseRole } from "./parse-role.js";
import { parseTokenKind } from "./parse-token-kind.js";

describe("parseRole", () => {
  const valid: [string, Role][] = [
    ["viewer", Role.VIEWER],
    ["submitter", Role.SUBMITTER],
    ["Operator", Role.OPERATOR],
    ["ADMIN", Role.ADMIN],
  ];
  for (const [text, role] of valid) {
    it(`reads "${text}"`, () => assert.equal(parseRole(text, "--role"), role));
  }
  for (const text of ["", "root", "unspecified"]) {
    it(`rejects "${text}" listing the roles`, () => {
      assert.throws(
        () => parseRole(text, "--role"),
        new UsageError(`--role must be viewer, submitter, operator or admin, got "${text}"`),
      );
    });
  }
});

describe("parseTokenKind", () => {
  const valid: [string, TokenKind][] = [
    ["api", TokenKind.API],
    ["Join", TokenKind.JOIN],
    ["NODE", TokenKind.NODE],
  ];
  for (const [text, kind] of valid) {
    it(`reads "${text}"`, () => assert.equal(parseTokenKind(text, "--kind"), kind));
  }
  it("rejects an unknown kind", () => {
    assert.throws(
      () => parseTokenKind("oidc", "--kind"),
      new UsageError('--kind must be api, join or node, got "oidc"'),
    );
  });
});

describe("parseCommaList", () => {
  const cases: [string[], string[]][] = [
    [[], []],
    [["a"], ["a"]],
    [["a,b"], ["a", "b"]],
    [[" a , b ,"], ["a", "b"]],
    [
      ["a", "b,c"],
      ["a", "b", "c"],
    ],
    [[""], []],
  ];
  for (const [values, items] of cases) {
    it(`splits ${JSON.stringify(values)}`, () => assert.deepEqual(parseCommaList(values), items));
  }
});
