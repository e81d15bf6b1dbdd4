import { TaskSchema } from "@sherpa/proto";
import type { Command } from "../command.js";
import { renderTaskFields } from "../output/task-views.js";
import { writeJson } from "../output/write-json.js";
import { fetchTask } from "../tasks/fetch-task.js";

/** `sherpa tasks get ID`: shows one task in full. */
export const tasksGetCommand: Command = {
  group: "tasks",
  name: "get",
  operands: "ID",
  summary: "Show one task in full.",
  options: {},
  async run({ client, io, json, signal, now }, args) {
    const task = await fetchTask(client, args.single("task ID"), signal);
    if (json) {
      writeJson(io.stdout, TaskSchema, task);
    } else {
      io.stdout.write(renderTaskFields(task, now()));
    }
    return 0;
  },
};
