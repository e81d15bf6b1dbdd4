import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, type TestContext, test } from "node:test";
import { pollUntil } from "@sherpa/kit/testing";
import { NodeState, TaskState } from "@sherpa/proto";
import { createSherpaClient, type SherpaClient } from "@sherpa/sdk";
import { createJoinToken } from "./support/create-join-token.js";
import { startAgent } from "./support/start-agent.js";
import { startServer } from "./support/start-server.js";
import { waitForTask } from "./support/wait-for-task.js";

/** The agents' SHERPA_AGENT_CANCEL_GRACE_MS: the time between SIGTERM and SIGKILL. */
const cancelGraceMs = 1000;

/** A live process of a task: its PID and command line. */
interface TaskProcess {
  pid: number;
  argv: string[];
}

/**
 * The live processes of a task, found in /proc by the SHERPA_TASK_ID the agent
 * puts in every task's environment (children inherit it).
 */
async function taskProcesses(taskId: string): Promise<TaskProcess[]> {
  const found: TaskProcess[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    // Other users' processes (and zombies) show no environment.
    const environ = await readFile(`/proc/${entry}/environ`, "utf8").catch(() => "");
    if (environ.split("\0").includes(`SHERPA_TASK_ID=${taskId}`)) {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
      found.push({ pid: Number(entry), argv: cmdline.split("\0").filter((arg) => arg !== "") });
    }
  }
  return found;
}

/** The process group of a live process, from /proc/<pid>/stat; undefined once it is gone. */
async function processGroupOf(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  const group = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2];
  return group === undefined ? undefined : Number(group);
}

/** PIDs of the watchdogs the agent started for these process groups (see task-watchdog.ts). */
async function watchdogsOf(groupIds: number[]): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    const argv = cmdline.split("\0");
    const named = argv.indexOf("sherpa-task-watchdog");
    if (named !== -1 && groupIds.includes(Number(argv[named + 1]))) {
      found.push(Number(entry));
    }
  }
  return found;
}

/** Commands of tasks that go on running until stopped: one obeys SIGTERM, one needs SIGKILL. */
const taskCommands = [
  { argv: ["sleep", "30"], running: ["sleep", "30"] },
  { argv: ["sh", "-c", "trap '' TERM; exec sleep 31"], running: ["sleep", "31"] },
];

/**
 * Submits the tasks and resolves with their IDs once each runs its final
 * command (so the one ignoring SIGTERM has its trap in place). Whatever of
 * them survives the test is killed after it.
 */
async function startTasks(t: TestContext, client: SherpaClient): Promise<string[]> {
  const ids: string[] = [];
  t.after(async () => {
    for (const id of ids) {
      for (const { pid } of await taskProcesses(id)) {
        process.kill(pid, "SIGKILL");
      }
    }
  });
  for (const { argv, running } of taskCommands) {
    const { task } = await client.tasks.submitTask({ argv, gpuCount: 1 });
    const id = task?.id ?? "";
    ids.push(id);
    const seen = await waitForTask(client, id, (current) => current.state !== TaskState.PENDING);
    assert.equal(seen.state, TaskState.RUNNING, seen.stateReason);
    await pollUntil(
      () => taskProcesses(id),
      (processes) => processes.some((found) => found.argv.join(" ") === running.join(" ")),
      { what: `task ${id} to run ${running.join(" ")}` },
    );
  }
  return ids;
}

/** Waits until no process of the tasks is left, for at most a few grace periods. */
async function waitUntilTasksEnd(ids: string[]): Promise<void> {
  await pollUntil(
    async () => (await Promise.all(ids.map(taskProcesses))).flat(),
    (left) => left.length === 0,
    {
      what: "the tasks' processes to end after their agent was killed",
      timeoutMs: 5 * cancelGraceMs,
    },
  );
}

describe("tasks whose agent is killed with SIGKILL", () => {
  test("end with the server that embeds their agent", async (t) => {
    const server = await startServer({
      env: {
        SHERPA_EMBEDDED_AGENT: "true",
        SHERPA_AGENT_GPUS: "2xNVIDIA A100-SXM4-80GB",
        SHERPA_AGENT_CANCEL_GRACE_MS: String(cancelGraceMs),
      },
    });
    t.after(() => server.stop());
    const client = createSherpaClient({ baseUrl: server.baseUrl, token: server.adminToken });
    const ids = await startTasks(t, client);

    server.kill("SIGKILL");
    await server.exited;
    await waitUntilTasksEnd(ids);
  });

  test("end with their sherpa-agent", async (t) => {
    const server = await startServer({ env: { SHERPA_EMBEDDED_AGENT: "false" } });
    t.after(() => server.stop());
    const agent = await startAgent({
      serverUrl: server.baseUrl,
      nodeName: "doomed-node",
      gpus: "2xNVIDIA A100-SXM4-80GB",
      joinToken: await createJoinToken(server),
      env: { SHERPA_AGENT_CANCEL_GRACE_MS: String(cancelGraceMs) },
    });
    t.after(() => agent.stop());
    const client = createSherpaClient({ baseUrl: server.baseUrl, token: server.adminToken });
    await pollUntil(
      () => client.nodes.getNode({ name: "doomed-node" }).catch(() => ({ node: undefined })),
      ({ node }) => node?.state === NodeState.READY,
      { what: "the agent's node to be READY" },
    );
    const ids = await startTasks(t, client);

    agent.kill("SIGKILL");
    await agent.exited;
    await waitUntilTasksEnd(ids);
  });

  test("whose watchdogs were killed too are ended by the next start of the embedded agent", async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), "sherpa-orphans-"));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const env = {
      SHERPA_EMBEDDED_AGENT: "true",
      SHERPA_AGENT_GPUS: "2xNVIDIA A100-SXM4-80GB",
      SHERPA_AGENT_CANCEL_GRACE_MS: String(cancelGraceMs),
      SHERPA_NODE_NAME: "restarted-node",
    };
    const first = await startServer({ dataDir, env });
    t.after(() => first.stop());
    const ids = await startTasks(
      t,
      createSherpaClient({ baseUrl: first.baseUrl, token: first.adminToken }),
    );
    const leaders = (await Promise.all(ids.map(taskProcesses))).flat();
    const groupIds = await Promise.all(leaders.map(({ pid }) => processGroupOf(pid)));
    const watchdogs = await watchdogsOf(groupIds.filter((id) => id !== undefined));
    assert.equal(watchdogs.length, ids.length, "each task has a watchdog");
    for (const pid of watchdogs) {
      process.kill(pid, "SIGKILL");
    }
    first.kill("SIGKILL");
    await first.exited;
    assert.notDeepEqual(await taskProcesses(ids[0] ?? ""), [], "the tasks outlive their agent");

    const second = await startServer({ dataDir, env });
    t.after(() => second.stop());
    // The node registers, and can be given the tasks' GPUs, only once they have ended.
    await second.waitForLogLine(
      (line) => line.msg === "registered with the server",
      5 * cancelGraceMs,
    );
    assert.deepEqual((await Promise.all(ids.map(taskProcesses))).flat(), []);
    const ending = await second.waitForLogLine(
      (line) =>
        line.msg === "ending the processes of tasks an earlier run of the agent left running",
    );
    assert.deepEqual([...(ending.taskIds as string[])].sort(), [...ids].sort());
  });
});
