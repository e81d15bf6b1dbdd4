import { TaskSchema } from "@sherpa/proto";
import { writeLine } from "../cli-io.js";
import type { Command } from "../command.js";
import { describeTaskState } from "../output/describe-task-state.js";
import { writeJson } from "../output/write-json.js";

/** `sherpa tasks cancel ID`: cancels a task that has not ended. */
export const tasksCancelCommand: Command = {
  group: "tasks",
  name: "cancel",
  operands: "ID",
  summary:
    "Cancel a task that has not ended (a running one is stopped with SIGTERM, then SIGKILL).",
  options: {
    reason: { type: "string", value: "TEXT", description: "why, kept as the task's state reason" },
  },
  async run({ client, io, json, signal }, args) {
    const id = args.single("task ID");
    const { task } = await client.tasks.cancelTask(
      { id, reason: args.string("reason") ?? "" },
      { signal },
    );
    if (task === undefined) {
      writeLine(io.stdout, `task ${id} cancelled`);
    } else if (json) {
      writeJson(io.stdout, TaskSchema, task);
    } else {
      writeLine(io.stdout, `task ${task.id} ${describeTaskState(task)}`);
    }
    return 0;
  },
};
