import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { TaskState } from "@sherpa/proto";
import { signalProcessGroup } from "./process-group.js";
import { type OutputStreamName, type RunTaskOptions, runTask } from "./run-task.js";

interface Line {
  stream: OutputStreamName;
  text: string;
}

describe("runTask", () => {
  let workDir: string;
  let taskNumber = 0;

  before(async () => {
    workDir = await realpath(await mkdtemp(join(tmpdir(), "sherpa-run-task-")));
  });
  after(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  /** Starts a task running `argv` and collects its output lines. */
  function start(argv: string[], options: Partial<RunTaskOptions> = {}) {
    const lines: Line[] = [];
    const printed = new EventTarget();
    taskNumber++;
    const handle = runTask({
      task: { id: `t-${taskNumber}`, argv },
      gpuIndices: [],
      nodeName: "node-7",
      workDir,
      cancelGraceMs: 2_000,
      onOutputLine: (stream, text) => {
        lines.push({ stream, text });
        printed.dispatchEvent(new Event("line"));
      },
      ...options,
    });
    /** Resolves once the task has printed `text`; rejects if it ends first. */
    const untilPrinted = async (text: string): Promise<void> => {
      const ended = handle.outcome.then((outcome) => {
        throw new Error(`the task ended (${outcome.reason}) without printing ${text}`);
      });
      while (!lines.some((line) => line.text === text)) {
        await Promise.race([once(printed, "line"), ended]);
      }
      ended.catch(() => undefined);
    };
    return { handle, lines, id: `t-${taskNumber}`, untilPrinted };
  }

  function assertGroupGone(pid: number | undefined) {
    assert.ok(pid !== undefined);
    assert.equal(signalProcessGroup(pid, 0), false, `process group ${pid} is still alive`);
  }

  it("gives the task its GPUs and reports stdout, stderr and the exit code", async () => {
    const { handle, lines } = start(
      ["sh", "-c", "echo $CUDA_VISIBLE_DEVICES; echo err >&2; exit 3"],
      {
        gpuIndices: [1, 3],
      },
    );
    assert.deepEqual(await handle.outcome, {
      state: TaskState.FAILED,
      exitCode: 3,
      reason: "exited with code 3",
    });
    assert.deepEqual(
      lines.filter((line) => line.stream === "stdout"),
      [{ stream: "stdout", text: "1,3" }],
    );
    assert.deepEqual(
      lines.filter((line) => line.stream === "stderr"),
      [{ stream: "stderr", text: "err" }],
    );
  });

  it("sets CUDA_VISIBLE_DEVICES to empty for a task without GPUs", async () => {
    // printenv prints an empty line for a variable set to "" and fails for an unset one.
    const { handle, lines } = start(["printenv", "CUDA_VISIBLE_DEVICES"]);
    assert.equal((await handle.outcome).state, TaskState.SUCCEEDED);
    assert.deepEqual(lines, [{ stream: "stdout", text: "" }]);
  });

  it("runs in its own working directory under the agent's", async () => {
    const { handle, lines, id } = start(["pwd"]);
    assert.deepEqual(await handle.outcome, {
      state: TaskState.SUCCEEDED,
      exitCode: 0,
      reason: "exited with code 0",
    });
    assert.deepEqual(lines, [{ stream: "stdout", text: join(workDir, "tasks", id) }]);
  });

  it("gives the task only the base of the agent's environment, its own variables and the submitter's", async () => {
    const { handle, lines } = start([], {
      task: {
        id: "env-task",
        name: "train-llm",
        queue: "training",
        argv: ["env"],
        env: { GREETING: "hello", PATH: "/opt/task/bin:/usr/bin:/bin" },
      },
      baseEnv: {
        PATH: process.env.PATH,
        HOME: "/home/agent",
        SHERPA_SECRET: "x",
        SHERPA_TOKEN: "shn_secret",
        DATABASE_URL: "y",
      },
      gpuIndices: [0, 2],
    });
    assert.equal((await handle.outcome).state, TaskState.SUCCEEDED);
    const env = Object.fromEntries(lines.map((line) => line.text.split(/=(.*)/s).slice(0, 2)));
    assert.deepEqual(env, {
      PATH: "/opt/task/bin:/usr/bin:/bin",
      HOME: "/home/agent",
      GREETING: "hello",
      CUDA_VISIBLE_DEVICES: "0,2",
      SHERPA_TASK_ID: "env-task",
      SHERPA_TASK_NAME: "train-llm",
      SHERPA_TASK_QUEUE: "training",
      SHERPA_NODE_NAME: "node-7",
    });
  });

  it("does not let the submitter override the variables the agent sets", async () => {
    const { handle, lines } = start([], {
      task: {
        id: "override-task",
        argv: ["sh", "-c", "echo $CUDA_VISIBLE_DEVICES $SHERPA_TASK_ID $SHERPA_NODE_NAME"],
        env: { CUDA_VISIBLE_DEVICES: "7", SHERPA_TASK_ID: "other", SHERPA_NODE_NAME: "elsewhere" },
      },
      baseEnv: { PATH: process.env.PATH },
      gpuIndices: [0],
    });
    await handle.outcome;
    assert.deepEqual(lines, [{ stream: "stdout", text: "0 override-task node-7" }]);
  });

  it("reads every line, and a final line without a newline, before it reports the outcome", async () => {
    const { handle, lines } = start(["sh", "-c", "seq 1 20000; printf 'no newline'"], {
      onOutputLine: async (stream, text) => {
        if (text.endsWith("000")) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        lines.push({ stream, text });
      },
    });
    await handle.outcome;
    assert.equal(lines.length, 20_001);
    assert.equal(lines[19_999]?.text, "20000");
    assert.equal(lines[20_000]?.text, "no newline");
  });

  // Each script prints "ready" once it is set up (its trap installed), so the
  // cancellation finds the state the test is about.
  const cancellations: {
    name: string;
    script: string;
    minMs: number;
    signal?: string;
    lines: string[];
  }[] = [
    { name: "a sleeping process", script: "echo ready; sleep 30", minMs: 0, lines: ["ready"] },
    {
      name: "a process and its background child",
      script: "sleep 30 & echo ready; wait",
      minMs: 0,
      lines: ["ready"],
    },
    {
      name: "a process that shuts down cleanly on SIGTERM",
      script: "trap 'echo stopping; exit 0' TERM; echo ready; sleep 30 & wait",
      minMs: 0,
      lines: ["ready", "stopping"],
    },
    {
      name: "a process that ignores SIGTERM, with SIGKILL after the grace period",
      script: "trap '' TERM; echo ready; sleep 30",
      minMs: 300,
      signal: "SIGKILL",
      lines: ["ready"],
    },
  ];
  for (const { name, script, minMs, signal, lines: expectedLines } of cancellations) {
    it(`cancels ${name}, leaving nothing of its process group`, async () => {
      const { handle, lines, untilPrinted } = start(["sh", "-c", script], { cancelGraceMs: 300 });
      await untilPrinted("ready");
      const cancelledAt = Date.now();
      handle.cancel("cancelled by user");
      const outcome = await handle.outcome;
      assert.equal(outcome.state, TaskState.CANCELLED);
      assert.equal(outcome.reason, "cancelled by user");
      assert.ok(Date.now() - cancelledAt >= minMs, "SIGKILL came before the grace period ended");
      if (signal !== undefined) {
        assert.equal(outcome.signal, signal);
      }
      assert.deepEqual(
        lines.map((line) => line.text),
        expectedLines,
      );
      assertGroupGone(handle.pid);
    });
  }

  it("stops what the main process left running when it exits", async () => {
    const { handle, lines } = start(["sh", "-c", "sleep 30 >/dev/null 2>&1 & echo started"]);
    assert.equal((await handle.outcome).state, TaskState.SUCCEEDED);
    assert.deepEqual(
      lines.map((line) => line.text),
      ["started"],
    );
    assertGroupGone(handle.pid);
  });

  it("times out a task that runs longer than its timeout", async () => {
    const { handle } = start([], {
      task: { id: "slow", argv: ["sleep", "30"], timeout: { seconds: 0n, nanos: 200_000_000 } },
    });
    const outcome = await handle.outcome;
    assert.equal(outcome.state, TaskState.TIMED_OUT);
    assert.equal(outcome.reason, "timed out after 200 ms");
    assertGroupGone(handle.pid);
  });

  it("says when a timed-out task had to be killed", async () => {
    const { handle } = start([], {
      task: {
        id: "stubborn",
        argv: ["sh", "-c", "trap '' TERM; sleep 30"],
        timeout: { seconds: 0n, nanos: 100_000_000 },
      },
      cancelGraceMs: 200,
    });
    assert.deepEqual(await handle.outcome, {
      state: TaskState.TIMED_OUT,
      signal: "SIGKILL",
      reason: "timed out after 100 ms; killed by SIGKILL after the 200 ms grace period",
    });
  });

  const failures: { name: string; argv: string[]; state: TaskState; reason: RegExp }[] = [
    {
      name: "a program that does not exist",
      argv: ["/nonexistent/program", "--flag"],
      state: TaskState.FAILED,
      reason: /^cannot start \/nonexistent\/program: spawn \/nonexistent\/program ENOENT$/,
    },
    {
      name: "a program that is not executable",
      argv: ["/etc/passwd"],
      state: TaskState.FAILED,
      reason: /^cannot start \/etc\/passwd: spawn \/etc\/passwd EACCES$/,
    },
    {
      // Node throws this one from spawn() instead of emitting it.
      name: "a command line too long for the kernel",
      argv: ["true", "x".repeat(3 * 1024 * 1024)],
      state: TaskState.FAILED,
      reason: /^cannot start true: spawn E2BIG$/,
    },
    { name: "an empty command", argv: [], state: TaskState.FAILED, reason: /^task has no command/ },
    {
      name: "a process killed by a signal the agent did not send",
      argv: ["sh", "-c", "kill -SEGV $$"],
      state: TaskState.FAILED,
      reason: /^killed by signal SIGSEGV$/,
    },
  ];
  for (const { name, argv, state, reason } of failures) {
    it(`fails ${name}`, async () => {
      const { handle } = start(argv);
      const outcome = await handle.outcome;
      assert.equal(outcome.state, state);
      assert.match(outcome.reason, reason);
      assert.equal(outcome.exitCode, undefined);
    });
  }

  it("refuses a task ID that would escape the working directory", async () => {
    const { handle } = start([], { task: { id: "../escape", argv: ["true"] } });
    assert.equal((await handle.outcome).state, TaskState.FAILED);
    assert.equal(handle.pid, undefined);
  });

  it("sends no signal when cancelled after the task has ended, as its group ID may be another's by then", async (t) => {
    const { handle } = start(["true"]);
    assert.equal((await handle.outcome).state, TaskState.SUCCEEDED);
    const pid = handle.pid;
    assertGroupGone(pid);
    // Stand in for the kernel having given the ID to a new process group: every
    // signal to it would reach someone else's processes.
    const kill = t.mock.method(process, "kill", () => true);
    handle.cancel("too late");
    assert.deepEqual(
      kill.mock.calls.map((call) => call.arguments),
      [],
      "the runner signalled a process group after its task had ended",
    );
  });
});
