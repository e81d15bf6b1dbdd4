import type { Task } from "@sherpa/proto";
import { Code, ConnectError, type SherpaClient } from "@sherpa/sdk";

/** Gets one task with GetTask; a response without a task is an Internal error. */
export async function fetchTask(
  client: SherpaClient,
  id: string,
  signal: AbortSignal,
): Promise<Task> {
  const { task } = await client.tasks.getTask({ id }, { signal });
  if (task === undefined) {
    throw new ConnectError(`the server returned no task for ${id}`, Code.Internal);
  }
  return task;
}
