import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { settings } from "./settings.js";

const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");

describe("the README's settings table", () => {
  for (const setting of Object.values(settings)) {
    it(`documents ${setting.env} with its flag and default`, () => {
      const row = readme.split("\n").find((line) => line.startsWith(`| \`${setting.env}\``));
      assert.ok(row, `no row for ${setting.env}`);
      const [, , flag, defaultValue] = row.split("|").map((cell) => cell.trim());
      assert.equal(flag, `\`--${setting.flag}\``);
      assert.equal(
        defaultValue,
        setting.defaultValue === "" ? "(empty)" : `\`${setting.defaultValue}\``,
      );
    });
  }
});
