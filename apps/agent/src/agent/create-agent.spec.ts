import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { waitFor } from "@sherpa/kit/testing";
import { LogStream, type TaskAssignment, TaskState } from "@sherpa/proto";
import { createSherpaServiceClients } from "@sherpa/sdk";
import type { GpuInfo } from "../gpu/gpu-info.js";
import { signalProcessGroup } from "../runner/process-group.js";
import { createRecordingLogger } from "../testing/create-recording-logger.js";
import { type Agent, type AgentOptions, createAgent } from "./create-agent.js";
import { createFakeAgentService } from "./testing/create-fake-agent-service.js";

const mib = 1024n * 1024n;
const gpus: GpuInfo[] = [0, 1, 2, 3].map((index) => ({
  index,
  uuid: `GPU-test-${index}`,
  model: "NVIDIA A100-SXM4-80GB",
  memoryBytes: 81920n * mib,
}));

function assignment(id: string, argv: string[], gpuIndices: number[] = []) {
  return {
    message: {
      case: "assignment" as const,
      value: { task: { id, argv }, gpuIndices } as TaskAssignment,
    },
  };
}

/**
 * Clients of the fake server that also record, on the server's side, each
 * AgentSession call the agent made and the code it ended with ("ok" when the
 * agent ended it).
 */
function recordSessionCalls(server: ReturnType<typeof createFakeAgentService>) {
  const calls: (keyof typeof Code | "ok" | "open")[] = [];
  const record: Interceptor = (next) => async (request) => {
    if (request.method.name !== "AgentSession") {
      return next(request);
    }
    const call = calls.push("open") - 1;
    const ended = (error?: unknown) => {
      calls[call] =
        error === undefined ? "ok" : (Code[ConnectError.from(error).code] as keyof typeof Code);
    };
    try {
      const response = await next(request);
      if (!response.stream) {
        return response;
      }
      return {
        ...response,
        message: (async function* () {
          try {
            yield* response.message;
            ended();
          } catch (error) {
            ended(error);
            throw error;
          }
        })(),
      };
    } catch (error) {
      ended(error);
      throw error;
    }
  };
  const transport = createRouterTransport(server.routes, { router: { interceptors: [record] } });
  return { calls, clients: createSherpaServiceClients(transport) };
}

/**
 * A named pipe in `dir` that a task can block on (`read line < path`) until
 * the test opens it, so the test decides when the task ends.
 */
function createGate(dir: string, name: string) {
  const path = join(dir, name);
  execFileSync("mkfifo", [path]);
  return { path, open: () => writeFile(path, "go\n") };
}

/** Delays between reconnection attempts of the agents under test. */
const reconnect = { initialDelayMs: 20, maxDelayMs: 100 };

describe("createAgent", () => {
  let workDir: string;
  let agent: Agent | undefined;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), "sherpa-agent-"));
  });
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
  });
  after(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  function startAgent(
    server: ReturnType<typeof createFakeAgentService>,
    options: Partial<AgentOptions> = {},
  ) {
    agent = createAgent({
      clients: server.clients,
      nodeName: "node-a",
      labels: { gpu: "a100" },
      gpus,
      simulated: true,
      workDir,
      cancelGraceMs: 500,
      reconnect,
      logger: createRecordingLogger(),
      ...options,
    });
    agent.start();
    return agent;
  }

  it("registers the node and its GPUs, then sends heartbeats", async () => {
    const server = createFakeAgentService({ heartbeatIntervalMs: 30 });
    startAgent(server);
    await waitFor("a heartbeat", () => server.events.some((event) => event.kind === "heartbeat"));
    const [registration] = server.registrations();
    assert.equal(registration?.nodeName, "node-a");
    assert.deepEqual(registration?.labels, { gpu: "a100" });
    assert.equal(registration?.simulated, true);
    assert.deepEqual(registration?.runningTaskIds, []);
    assert.deepEqual(
      registration?.gpus.map((gpu) => [gpu.index, gpu.uuid, gpu.model, gpu.memoryBytes]),
      gpus.map((gpu) => [gpu.index, gpu.uuid, gpu.model, gpu.memoryBytes]),
    );
    const heartbeat = server.events.find((event) => event.kind === "heartbeat");
    assert.deepEqual(heartbeat?.kind === "heartbeat" && heartbeat.value.gpus, []);
  });

  it("measures real GPUs for each heartbeat", async () => {
    const server = createFakeAgentService({ heartbeatIntervalMs: 30 });
    startAgent(server, {
      simulated: false,
      measureGpus: async () =>
        gpus.map((gpu) => ({ ...gpu, utilizationPercent: 42, memoryUsedBytes: mib })),
    });
    await waitFor("a heartbeat", () => server.events.some((event) => event.kind === "heartbeat"));
    const heartbeat = server.events.find((event) => event.kind === "heartbeat");
    assert.ok(heartbeat?.kind === "heartbeat");
    assert.deepEqual(
      heartbeat.value.gpus.map((gpu) => [gpu.uuid, gpu.utilizationPercent, gpu.memoryUsedBytes]),
      gpus.map((gpu) => [gpu.uuid, 42, mib]),
    );
  });

  it("runs an assigned task on its GPUs and uploads its output before reporting its end", async () => {
    const server = createFakeAgentService();
    startAgent(server);
    await waitFor("registration", () => server.sessions.length === 1);
    server.sessions[0]?.send(
      assignment("t-1", ["sh", "-c", "echo $CUDA_VISIBLE_DEVICES; echo done"], [0, 2]),
    );
    await waitFor("the final status", () => server.statuses("t-1").length === 2);
    const [running, ended] = server.statuses("t-1");
    assert.equal(running?.state, TaskState.RUNNING);
    assert.equal(ended?.state, TaskState.SUCCEEDED);
    assert.equal(ended?.exitCode, 0);
    const order = server.events.flatMap((event) =>
      event.kind === "line"
        ? [event.text]
        : event.kind === "status"
          ? [TaskState[event.value.state]]
          : [],
    );
    assert.deepEqual(order, ["RUNNING", "0,2", "done", "SUCCEEDED"]);
    assert.ok(
      server.events.every((event) => event.kind !== "line" || event.stream === LogStream.STDOUT),
    );
  });

  it("reports a task that fails, with its exit code and stderr", async () => {
    const server = createFakeAgentService();
    startAgent(server);
    await waitFor("registration", () => server.sessions.length === 1);
    server.sessions[0]?.send(assignment("t-fail", ["sh", "-c", "echo oops >&2; exit 4"]));
    await waitFor("the final status", () => server.statuses("t-fail").length === 2);
    const ended = server.statuses("t-fail")[1];
    assert.deepEqual(
      [ended?.state, ended?.exitCode, ended?.reason],
      [TaskState.FAILED, 4, "exited with code 4"],
    );
    assert.ok(
      server.events.some(
        (event) =>
          event.kind === "line" && event.stream === LogStream.STDERR && event.text === "oops",
      ),
    );
  });

  it("reports a task that cannot start as FAILED, and runs the one assigned with it in the same session", async () => {
    const server = createFakeAgentService();
    startAgent(server);
    await waitFor("registration", () => server.sessions.length === 1);
    // spawn() throws E2BIG for a command line this long, rather than emitting an error.
    server.sessions[0]?.send(assignment("t-huge", ["true", "x".repeat(3 * 1024 * 1024)]));
    server.sessions[0]?.send(assignment("t-next", ["sh", "-c", "echo next"]));
    await waitFor("the huge task's status", () => server.statuses("t-huge").length === 1);
    const failed = server.statuses("t-huge")[0];
    assert.deepEqual(
      [failed?.state, failed?.reason],
      [TaskState.FAILED, "cannot start true: spawn E2BIG"],
    );
    await waitFor("the next task's end", () => server.statuses("t-next").length === 2);
    assert.equal(server.statuses("t-next")[1]?.state, TaskState.SUCCEEDED);
    assert.equal(server.registrations().length, 1, "the agent had to register again");
  });

  it("cancels a running task, and reports a cancellation of an unknown task as cancelled", async () => {
    const server = createFakeAgentService();
    startAgent(server);
    await waitFor("registration", () => server.sessions.length === 1);
    server.sessions[0]?.send(assignment("t-long", ["sleep", "30"]));
    await waitFor("RUNNING", () => server.statuses("t-long").length === 1);
    server.sessions[0]?.send({
      message: { case: "cancellation", value: { taskId: "t-long", reason: "cancelled by user" } },
    });
    server.sessions[0]?.send({
      message: { case: "cancellation", value: { taskId: "t-gone", reason: "cancelled by user" } },
    });
    await waitFor("CANCELLED", () => server.statuses("t-long").length === 2);
    const ended = server.statuses("t-long")[1];
    assert.deepEqual([ended?.state, ended?.reason], [TaskState.CANCELLED, "cancelled by user"]);
    await waitFor("the unknown task's status", () => server.statuses("t-gone").length === 1);
    assert.equal(server.statuses("t-gone")[0]?.state, TaskState.CANCELLED);
  });

  it("still reports a task's end when its log upload fails", async () => {
    const server = createFakeAgentService();
    server.behaviour.failUploads = true;
    startAgent(server);
    await waitFor("registration", () => server.sessions.length === 1);
    server.sessions[0]?.send(assignment("t-logs", ["sh", "-c", "echo hello; exit 0"]));
    await waitFor("the final status", () => server.statuses("t-logs").length === 2);
    assert.equal(server.statuses("t-logs")[1]?.state, TaskState.SUCCEEDED);
  });

  it("keeps a task running across a lost session and registers again with it", async () => {
    const server = createFakeAgentService();
    const gate = createGate(workDir, "survivor.gate");
    startAgent(server);
    await waitFor("registration", () => server.sessions.length === 1);
    server.sessions[0]?.send(
      assignment("t-survivor", ["sh", "-c", `read line < '${gate.path}'; echo survived`]),
    );
    await waitFor("RUNNING", () => server.statuses("t-survivor").length === 1);
    server.sessions[0]?.fail();
    await waitFor("a second registration", () => server.registrations().length === 2);
    assert.deepEqual(server.registrations()[1]?.runningTaskIds, ["t-survivor"]);
    await gate.open();
    await waitFor("the final status", () => server.statuses("t-survivor").length === 2);
    assert.equal(server.statuses("t-survivor")[1]?.state, TaskState.SUCCEEDED);
    assert.ok(server.events.some((event) => event.kind === "line" && event.text === "survived"));
  });

  it("reports a task that ended while disconnected right after registering again", async () => {
    const server = createFakeAgentService();
    const logger = createRecordingLogger();
    const gate = createGate(workDir, "offline.gate");
    startAgent(server, { logger });
    await waitFor("registration", () => server.sessions.length === 1);
    server.sessions[0]?.send(
      assignment("t-offline", ["sh", "-c", `read line < '${gate.path}'; exit 5`]),
    );
    await waitFor("RUNNING", () => server.statuses("t-offline").length === 1);
    server.behaviour.refuseSessions = true;
    server.sessions[0]?.fail();
    const logged = (message: string) => logger.lines.some((line) => line.message === message);
    await waitFor("the agent to see the session end", () =>
      logged("session with the server ended; reconnecting"),
    );
    await gate.open();
    await waitFor("the agent to see the task end", () => logged("task ended"));
    assert.equal(server.statuses("t-offline").length, 1, "a status arrived while disconnected");
    server.behaviour.refuseSessions = false;
    await waitFor("the final status", () => server.statuses("t-offline").length === 2);
    assert.deepEqual(server.registrations()[1]?.runningTaskIds, ["t-offline"]);
    const finalStatus = server.events.findIndex(
      (event) => event.kind === "status" && event.value.state === TaskState.FAILED,
    );
    const reRegistration = server.events.findIndex(
      (event) => event.kind === "register" && event.session === 1,
    );
    assert.ok(reRegistration < finalStatus, "the final status came before the new registration");
    assert.equal(server.statuses("t-offline")[1]?.exitCode, 5);
  });

  it("stops reconnecting, once, when the server refuses its credential, and keeps its tasks", async () => {
    const server = createFakeAgentService();
    const sessionCalls = recordSessionCalls(server);
    const logger = createRecordingLogger();
    const refusals: ConnectError[] = [];
    startAgent(server, {
      clients: sessionCalls.clients,
      logger,
      onRefused: (error) => refusals.push(error),
    });
    await waitFor("registration", () => server.sessions.length === 1);
    server.sessions[0]?.send(assignment("t-kept", ["sleep", "30"]));
    await waitFor("RUNNING", () => server.statuses("t-kept").length === 1);
    server.behaviour.revoked = true;
    server.sessions[0]?.fail();
    await waitFor("the refusal", () => refusals.length === 1);
    // Room for several more attempts, had the agent gone on trying.
    await sleep(reconnect.maxDelayMs * 4);
    assert.deepEqual(
      sessionCalls.calls,
      ["Unavailable", "Unauthenticated"],
      "the server did not see exactly one attempt after the session was lost, refused",
    );
    assert.deepEqual(
      refusals.map((error) => error.code),
      [Code.Unauthenticated],
    );
    const refused = logger.lines.filter((line) => line.level === "error");
    assert.deepEqual(
      refused.map((line) => line.message),
      ["the server refused the agent's session; not reconnecting"],
    );
    const fields = refused[0]?.fields as { runningTaskIds?: string[] } | undefined;
    assert.deepEqual(fields?.runningTaskIds, ["t-kept"]);
    const started = logger.lines.find((line) => line.message === "task started");
    const pid = (started?.fields as { pid?: number } | undefined)?.pid;
    assert.ok(pid !== undefined);
    assert.equal(signalProcessGroup(pid, 0), true, "the task was stopped by the refusal");
  });

  it("stops cleanly: cancels and reports running tasks, ends the session, leaves nothing behind", async () => {
    const timersBefore = process
      .getActiveResourcesInfo()
      .filter((kind) => kind === "Timeout").length;
    const heartbeatIntervalMs = 20;
    const server = createFakeAgentService({ heartbeatIntervalMs });
    const stoppable = startAgent(server);
    await waitFor("registration", () => server.sessions.length === 1);
    server.sessions[0]?.send(assignment("t-stop", ["sh", "-c", "sleep 30 & wait"]));
    await waitFor("RUNNING", () => server.statuses("t-stop").length === 1);
    await stoppable.stop();
    const ended = server.statuses("t-stop")[1];
    assert.deepEqual(
      [ended?.state, ended?.reason],
      [TaskState.CANCELLED, "the node's agent is shutting down"],
    );
    await waitFor("the server to see the session end", () =>
      server.events.some((event) => event.kind === "session-end"),
    );
    assert.deepEqual(
      server.events
        .filter((event) => event.kind === "session-end")
        .map((event) => event.kind === "session-end" && event.how),
      ["client closed"],
    );
    const heartbeats = server.events.filter((event) => event.kind === "heartbeat").length;
    // Several heartbeat intervals: time for heartbeats, had one still been due.
    await sleep(heartbeatIntervalMs * 3);
    assert.equal(server.events.filter((event) => event.kind === "heartbeat").length, heartbeats);
    const timersAfter = process
      .getActiveResourcesInfo()
      .filter((kind) => kind === "Timeout").length;
    assert.ok(timersAfter <= timersBefore, `${timersAfter - timersBefore} timers left running`);
  });

  it("stops while the server is unreachable without waiting for it", async () => {
    const server = createFakeAgentService();
    server.behaviour.refuseSessions = true;
    const logger = createRecordingLogger();
    const retryDelayMs = 60_000;
    const stoppable = startAgent(server, {
      logger,
      reconnect: { initialDelayMs: retryDelayMs, maxDelayMs: retryDelayMs },
    });
    await waitFor("a failed attempt", () =>
      logger.lines.some((line) => line.message === "cannot reach the server; retrying"),
    );
    const startedAt = Date.now();
    await stoppable.stop();
    // The next attempt is at least half the delay away (jitter); stop() must not wait for it.
    assert.ok(Date.now() - startedAt < retryDelayMs / 2, "stop() waited for the next attempt");
  });
});

describe("createAgent process groups", () => {
  it("leaves no task process after stop", async () => {
    const workDir = await mkdtemp(join(tmpdir(), "sherpa-agent-"));
    const server = createFakeAgentService();
    const agent = createAgent({
      clients: server.clients,
      nodeName: "n",
      gpus: [],
      simulated: false,
      workDir,
      cancelGraceMs: 300,
    });
    agent.start();
    await waitFor("registration", () => server.sessions.length === 1);
    server.sessions[0]?.send(assignment("t-pid", ["sh", "-c", "echo $$; trap '' TERM; sleep 30"]));
    await waitFor("the pid", () => server.events.some((event) => event.kind === "line"));
    const line = server.events.find((event) => event.kind === "line");
    const pid = Number(line?.kind === "line" ? line.text : Number.NaN);
    assert.equal(signalProcessGroup(pid, 0), true);
    await agent.stop();
    assert.equal(signalProcessGroup(pid, 0), false);
    await rm(workDir, { recursive: true, force: true });
  });
});
