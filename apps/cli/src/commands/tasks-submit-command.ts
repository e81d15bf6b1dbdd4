import { TaskSchema } from "@sherpa/proto";
import type { SherpaClient } from "@sherpa/sdk";
import { writeLine } from "../cli-io.js";
import type { Command } from "../command.js";
import type { CommandArgs } from "../command-args.js";
import { renderTaskTable } from "../output/task-views.js";
import { writeJson } from "../output/write-json.js";
import { parseDuration } from "../parse/parse-duration.js";
import { parseInteger } from "../parse/parse-integer.js";
import { parseKeyValues } from "../parse/parse-key-values.js";
import { taskExitCode } from "../task-exit-code.js";
import { followTaskLogs } from "../tasks/follow-task-logs.js";
import { waitForTask } from "../tasks/wait-for-task.js";
import { UsageError } from "../usage-error.js";

type SubmitTaskRequest = Parameters<SherpaClient["tasks"]["submitTask"]>[0];

/** `sherpa tasks submit`: submits a task, optionally waiting for it or following its logs. */
export const tasksSubmitCommand: Command = {
  group: "tasks",
  name: "submit",
  operands: "-- COMMAND [ARGS...]",
  summary: "Submit a task that runs COMMAND with its ARGS on GPUs of one node.",
  details: [
    "Prints the task's ID on stdout and a summary on stderr. With --follow, stdout and",
    "stderr carry the task's own output and the exit status is the task's: 0 when it",
    "succeeded, its exit code when it failed with one, 1 otherwise; --wait does the same",
    "without the output. With --json, stdout has the task as JSON, then (--follow) each",
    "log line, then (--wait, --follow) the ended task, one object per line.",
  ].join("\n"),
  options: {
    queue: {
      type: "string",
      value: "NAME",
      description: 'queue to submit to (default: "default")',
    },
    name: { type: "string", value: "NAME", description: "name for people (default: COMMAND)" },
    gpus: {
      type: "string",
      value: "N",
      description: "number of GPUs, all on one node (default: 0)",
    },
    "gpu-model": { type: "string", value: "MODEL", description: "GPU model needed (default: any)" },
    timeout: {
      type: "string",
      value: "DURATION",
      description: "kill the task after 30s, 5m, 1h... (default: never)",
    },
    env: {
      type: "string",
      multiple: true,
      value: "KEY=VALUE",
      description: "environment variable for the command",
    },
    label: { type: "string", multiple: true, value: "KEY=VALUE", description: "label of the task" },
    "request-id": {
      type: "string",
      value: "ID",
      description: "key that makes retrying this submit safe",
    },
    wait: { type: "boolean", description: "wait for the task to end, showing its state on stderr" },
    follow: { type: "boolean", short: "f", description: "print the task's output until it ends" },
  },
  async run(context, args) {
    const { client, io, json, signal, now } = context;
    const { task } = await client.tasks.submitTask(submitRequest(args), { signal });
    if (task === undefined) {
      throw new Error("the server accepted the task but returned none");
    }
    if (json) {
      writeJson(io.stdout, TaskSchema, task);
    } else {
      if (!args.flag("follow")) writeLine(io.stdout, task.id);
      io.stderr.write(renderTaskTable([task], now()));
    }
    if (!args.flag("follow") && !args.flag("wait")) {
      return 0;
    }
    const ended = args.flag("follow")
      ? await followTaskLogs(context, task.id, 0n)
      : await waitForTask(context, task.id);
    if (json) writeJson(io.stdout, TaskSchema, ended);
    return taskExitCode(ended);
  },
};

function submitRequest(args: CommandArgs): SubmitTaskRequest {
  if (args.operands.length === 0) {
    throw new UsageError("missing the command to run; put it after --");
  }
  const gpus = args.string("gpus");
  const timeout = args.string("timeout");
  return {
    argv: [...args.operands],
    queue: args.string("queue") ?? "",
    name: args.string("name") ?? "",
    gpuCount: gpus === undefined ? 0 : parseInteger(gpus, "--gpus", { min: 0 }),
    gpuModel: args.string("gpu-model") ?? "",
    timeout: timeout === undefined ? undefined : parseDuration(timeout, "--timeout"),
    env: parseKeyValues(args.strings("env"), "--env"),
    labels: parseKeyValues(args.strings("label"), "--label"),
    requestId: args.string("request-id") ?? "",
  };
}
