import type { Readable } from "node:stream";
import { createLineSplitter } from "./line-splitter.js";
import type { OutputStreamName, RunTaskOptions } from "./run-task.js";

/**
 * Reads one output stream of a task to its end and hands over each line,
 * waiting for the consumer when it returns a promise (backpressure reaches the
 * task through the pipe). A trailing line without a newline is handed over at
 * the end.
 */
export async function readOutputLines(
  stream: Readable | null,
  name: OutputStreamName,
  maxLineBytes: number,
  onOutputLine: RunTaskOptions["onOutputLine"],
): Promise<void> {
  if (stream === null) {
    return;
  }
  const splitter = createLineSplitter(maxLineBytes);
  const deliver = async (lines: string[]) => {
    for (const line of lines) {
      try {
        await onOutputLine?.(name, line);
      } catch {
        // A failing consumer must not stop the reading, or the task would block on a full pipe.
      }
    }
  };
  try {
    for await (const chunk of stream) {
      await deliver(splitter.push(chunk as Buffer));
    }
  } catch {
    // Destroyed after the drain limit: what was read is delivered below.
  }
  await deliver(splitter.end());
}
