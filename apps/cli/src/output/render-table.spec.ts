import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderTable } from "./render-table.js";

describe("renderTable", () => {
  it("aligns columns to their widest cell with two spaces between them", () => {
    const table = renderTable(
      ["ID", "STATE", "NODE"],
      [
        ["t-1", "RUNNING", "gpu-node-1"],
        ["task-22", "PENDING", ""],
      ],
    );
    assert.equal(
      table,
      ["ID       STATE    NODE", "t-1      RUNNING  gpu-node-1", "task-22  PENDING", ""].join("\n"),
    );
  });

  it("leaves no trailing spaces when the last cells are empty", () => {
    const table = renderTable(["NAME", "REASON"], [["a", ""]]);
    assert.equal(table, "NAME  REASON\na\n");
  });

  it("is the header alone without rows", () => {
    assert.equal(renderTable(["ID", "STATE"], []), "ID  STATE\n");
  });
});
