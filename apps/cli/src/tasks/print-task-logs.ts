import { LogLineSchema, LogStream } from "@sherpa/proto";
import { writeLine } from "../cli-io.js";
import type { CommandContext } from "../command.js";
import { writeJson } from "../output/write-json.js";

/** Which lines of which task to print. */
export interface TaskLogsRequest {
  /** ID of the task. */
  readonly id: string;
  /** Offset of the first line: 0 for the beginning. */
  readonly offset: bigint;
  /** Whether to keep printing new lines until the task ends. */
  readonly follow: boolean;
}

/**
 * Streams a task's log lines with StreamTaskLogs and prints each as it comes:
 * standard output lines on stdout, standard error lines on stderr, or every
 * line as a JSON LogLine on stdout with `--json`. Resolves, when the stream
 * ends, to the offset after the last line printed (`request.offset` if none).
 */
export async function printTaskLogs(
  { client, io, json, signal }: CommandContext,
  request: TaskLogsRequest,
): Promise<bigint> {
  let next = request.offset;
  // Log streams last as long as the task, so they get no deadline.
  for await (const { lines } of client.tasks.streamTaskLogs(request, { signal, timeoutMs: 0 })) {
    for (const line of lines) {
      if (json) {
        writeJson(io.stdout, LogLineSchema, line);
      } else {
        writeLine(line.stream === LogStream.STDERR ? io.stderr : io.stdout, line.text);
      }
      next = line.offset + 1n;
    }
  }
  return next;
}
