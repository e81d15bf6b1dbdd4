import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLineSplitter } from "./line-splitter.js";

function split(chunks: string[], maxLineBytes = 64 * 1024): string[] {
  const splitter = createLineSplitter(maxLineBytes);
  const lines = chunks.flatMap((chunk) => splitter.push(Buffer.from(chunk)));
  return [...lines, ...splitter.end()];
}

describe("createLineSplitter", () => {
  const cases: { name: string; chunks: string[]; lines: string[]; max?: number }[] = [
    { name: "splits on newlines", chunks: ["a\nb\n"], lines: ["a", "b"] },
    {
      name: "joins a line across chunks",
      chunks: ["hel", "lo\nwor", "ld\n"],
      lines: ["hello", "world"],
    },
    { name: "drops the carriage return of CRLF", chunks: ["a\r\nb\r", "\n"], lines: ["a", "b"] },
    { name: "keeps empty lines", chunks: ["\n\nx\n"], lines: ["", "", "x"] },
    {
      name: "flushes a trailing partial line at the end",
      chunks: ["done\nno newline"],
      lines: ["done", "no newline"],
    },
    { name: "emits nothing for empty output", chunks: [], lines: [] },
    {
      name: "cuts a long line into pieces",
      chunks: ["abcdefghij\n"],
      lines: ["abcd", "efgh", "ij"],
      max: 4,
    },
    {
      name: "keeps a line of exactly the limit whole",
      chunks: ["abcd\r\n"],
      lines: ["abcd"],
      max: 4,
    },
    { name: "never cuts inside a character", chunks: ["aé€\n"], lines: ["aé", "€"], max: 4 },
  ];
  for (const { name, chunks, lines, max } of cases) {
    it(name, () => {
      assert.deepEqual(split(chunks, max), lines);
    });
  }

  it("decodes a multi-byte character whose bytes arrive in different chunks", () => {
    const euro = Buffer.from("€\n");
    const splitter = createLineSplitter(1024);
    assert.deepEqual(splitter.push(euro.subarray(0, 1)), []);
    assert.deepEqual(splitter.push(euro.subarray(1)), ["€"]);
  });

  it("caps a 1 MiB line at 64 KiB pieces", () => {
    const lines = split(["x".repeat(1024 * 1024), "\n"]);
    assert.equal(lines.length, 16);
    assert.ok(lines.every((line) => line.length === 64 * 1024));
  });
});
