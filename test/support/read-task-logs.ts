import type { LogLine } from "@sherpa/proto";
import type { SherpaClient } from "@sherpa/sdk";

/**
 * Follows a task's output with StreamTaskLogs until the server ends the stream,
 * once the task has ended and every line was sent, and resolves with the lines.
 */
export async function readTaskLogs(
  client: SherpaClient,
  id: string,
  timeoutMs = 15_000,
): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const response of client.tasks.streamTaskLogs({ id, follow: true }, { timeoutMs })) {
    lines.push(...response.lines);
  }
  return lines;
}
