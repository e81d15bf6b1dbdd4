import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type PendingTask,
  planAssignments,
  type QueueCapacity,
  type SchedulableNode,
  type SchedulingInput,
} from "./plan-assignments.js";

const a100 = "NVIDIA A100-SXM4-80GB";
const h100 = "NVIDIA H100 80GB HBM3";

function node(
  name: string,
  models: string[],
  labels: Record<string, string> = {},
): SchedulableNode {
  return {
    name,
    labels,
    freeGpus: models.map((model, index) => ({ uuid: `${name}-gpu${index}`, index, model })),
  };
}

function task(id: string, gpuCount: number, queue = "default", gpuModel = ""): PendingTask {
  return { id, queue, gpuCount, gpuModel };
}

function input(
  pendingTasks: PendingTask[],
  nodes: SchedulableNode[],
  queues: Record<string, Partial<QueueCapacity>> = { default: {} },
  resourceGroups: Record<string, Record<string, string>> = { all: {} },
): SchedulingInput {
  return {
    pendingTasks,
    nodes,
    queues: new Map(
      Object.entries(queues).map(([name, queue]) => [
        name,
        { gpuQuota: 0, gpusInUse: 0, resourceGroups: ["all"], ...queue },
      ]),
    ),
    resourceGroups: new Map(Object.entries(resourceGroups)),
  };
}

/** Summarises assignments as "task@node:gpuIndices" for readable assertions. */
function placed(scheduling: SchedulingInput): string[] {
  return planAssignments(scheduling).map(
    (assignment) =>
      `${assignment.taskId}@${assignment.nodeName}:${assignment.gpus.map((gpu) => gpu.index).join(",")}`,
  );
}

describe("planAssignments", () => {
  const cases: { name: string; scheduling: SchedulingInput; expected: string[] }[] = [
    {
      name: "puts all GPUs of a task on one node, lowest indices first",
      scheduling: input([task("t1", 2)], [node("n1", [a100, a100, a100])]),
      expected: ["t1@n1:0,1"],
    },
    {
      name: "never splits a task across nodes",
      scheduling: input([task("t1", 3)], [node("n1", [a100, a100]), node("n2", [a100, a100])]),
      expected: [],
    },
    {
      name: "never gives one GPU to two tasks",
      scheduling: input(
        [task("t1", 2), task("t2", 2), task("t3", 1)],
        [node("n1", [a100, a100, a100])],
      ),
      expected: ["t1@n1:0,1", "t3@n1:2"],
    },
    {
      name: "stops at the queue's quota and lets the rest wait",
      scheduling: input(
        [task("t1", 1), task("t2", 1), task("t3", 1)],
        [node("n1", [a100, a100, a100, a100])],
        { default: { gpuQuota: 2 } },
      ),
      expected: ["t1@n1:0", "t2@n1:1"],
    },
    {
      name: "counts GPUs already in use against the quota",
      scheduling: input([task("t1", 1), task("t2", 1)], [node("n1", [a100, a100])], {
        default: { gpuQuota: 2, gpusInUse: 1 },
      }),
      expected: ["t1@n1:0"],
    },
    {
      name: "respects the wanted GPU model",
      scheduling: input(
        [task("t1", 1, "default", h100)],
        [node("n1", [a100, a100]), node("n2", [a100, h100])],
      ),
      expected: ["t1@n2:1"],
    },
    {
      name: "places a queue's tasks only on nodes of its resource groups",
      scheduling: input(
        [task("t1", 1, "h100s")],
        [node("n1", [a100], { gpu: "a100" }), node("n2", [h100], { gpu: "h100" })],
        { h100s: { resourceGroups: ["h100-pool"] } },
        { "h100-pool": { gpu: "h100" } },
      ),
      expected: ["t1@n2:0"],
    },
    {
      name: "places nothing for a queue without resource groups",
      scheduling: input([task("t1", 1)], [node("n1", [a100])], { default: { resourceGroups: [] } }),
      expected: [],
    },
    {
      name: "prefers the node with the fewest matching free GPUs",
      scheduling: input(
        [task("t1", 1)],
        [node("big", [a100, a100, a100, a100]), node("small", [a100, a100])],
      ),
      expected: ["t1@small:0"],
    },
    {
      name: "lets a later task use what an earlier one could not",
      scheduling: input([task("t1", 4), task("t2", 1)], [node("n1", [a100, a100])]),
      expected: ["t2@n1:0"],
    },
    {
      name: "runs a task without GPUs on any node of its groups",
      scheduling: input([task("t1", 0)], [node("n1", [])]),
      expected: ["t1@n1:"],
    },
  ];
  for (const { name, scheduling, expected } of cases) {
    it(name, () => {
      assert.deepEqual(placed(scheduling), expected);
    });
  }
});
