import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Task, TaskState, WatchTasksResponseSchema } from "@sherpa/proto";
import { writeLine } from "../cli-io.js";
import type { Command } from "../command.js";
import { enumName } from "../output/enum-name.js";
import { formatTimestamp } from "../output/format-time.js";
import { writeJson } from "../output/write-json.js";
import { parseTaskStates } from "../parse/parse-task-states.js";

/** `sherpa tasks watch`: prints task events as they happen, until Ctrl-C. */
export const tasksWatchCommand: Command = {
  group: "tasks",
  name: "watch",
  operands: "[ID...]",
  summary: "Print one line per task event (time, ID, state, reason) until Ctrl-C.",
  details:
    "Starts with the current state of the tasks watched (the IDs given, or every task\nthat has not ended), then prints each change. With --json, prints each\nWatchTasksResponse on its own line.",
  options: {
    queue: { type: "string", value: "NAME", description: "only tasks of this queue" },
    state: {
      type: "string",
      multiple: true,
      value: "STATES",
      description: "only changes into these states, such as failed,timed_out",
    },
  },
  async run({ client, io, json, signal, now }, args) {
    const request = {
      queue: args.string("queue") ?? "",
      taskIds: [...args.operands],
      states: parseTaskStates(args.strings("state")),
      includeCurrent: true,
    };
    let idWidth = 0;
    try {
      for await (const event of client.tasks.watchTasks(request, { signal, timeoutMs: 0 })) {
        if (json) {
          writeJson(io.stdout, WatchTasksResponseSchema, event);
        } else if (event.task !== undefined) {
          idWidth = Math.max(idWidth, event.task.id.length);
          writeLine(io.stdout, formatEvent(event.task, idWidth, now()));
        }
      }
    } catch (error) {
      // Ctrl-C is how a watch is meant to end.
      if (signal.aborted) return 0;
      throw error;
    }
    writeLine(io.stderr, "sherpa: the server ended the watch");
    return 1;
  },
};

// The time of the change is the task's own timestamp for its state, else when it arrived.
function formatEvent(task: Task, idWidth: number, nowMs: number): string {
  const time =
    task.endTime ?? (task.state === TaskState.RUNNING ? task.startTime : task.createTime);
  return [
    formatTimestamp(time ?? timestampFromMs(nowMs)),
    task.id.padEnd(idWidth),
    enumName(TaskState, task.state).padEnd("TIMED_OUT".length),
    task.stateReason,
  ]
    .join("  ")
    .trimEnd();
}
