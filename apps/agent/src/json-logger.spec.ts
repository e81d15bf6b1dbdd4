import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createJsonLogger } from "./json-logger.js";

describe("createJsonLogger", () => {
  it("writes pino-shaped JSON lines at or above its level", () => {
    const lines: string[] = [];
    const logger = createJsonLogger({
      level: "warn",
      write: (line) => lines.push(line),
      now: () => 1000,
    });
    logger.info({ taskId: "t-1" }, "hidden");
    logger.warn({ taskId: "t-1", memoryBytes: 2n ** 40n }, "task is slow");
    assert.deepEqual(
      lines.map((line) => JSON.parse(line)),
      [
        {
          level: 40,
          time: 1000,
          name: "sherpa-agent",
          taskId: "t-1",
          memoryBytes: "1099511627776",
          msg: "task is slow",
        },
      ],
    );
    assert.ok(lines.every((line) => line.endsWith("\n")));
  });

  it("writes nothing when silent", () => {
    const lines: string[] = [];
    createJsonLogger({ level: "silent", write: (line) => lines.push(line) }).error({}, "boom");
    assert.deepEqual(lines, []);
  });
});
