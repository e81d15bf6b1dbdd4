/** A pending task as the planner sees it. */
export interface PendingTask {
  id: string;
  queue: string;
  gpuCount: number;
  /** Required GPU model; empty for any. */
  gpuModel: string;
}

/** A queue's limits and what its running tasks hold now. */
export interface QueueCapacity {
  /** Most GPUs held at once; 0 means no limit. */
  gpuQuota: number;
  gpusInUse: number;
  resourceGroups: string[];
}

/** A free GPU of a schedulable node. */
export interface FreeGpu {
  uuid: string;
  index: number;
  model: string;
}

/** A node the scheduler may use now (ready, connected) and its free GPUs. */
export interface SchedulableNode {
  name: string;
  labels: Record<string, string>;
  freeGpus: FreeGpu[];
}

/** Everything one scheduling pass decides from. */
export interface SchedulingInput {
  /** Pending tasks in scheduling order: queue priority first, then submission order. */
  pendingTasks: PendingTask[];
  queues: Map<string, QueueCapacity>;
  /** Node selectors of the resource groups, by group name. */
  resourceGroups: Map<string, Record<string, string>>;
  nodes: SchedulableNode[];
}

/** A decision: run this task on these GPUs of this node. */
export interface Assignment {
  taskId: string;
  nodeName: string;
  gpus: FreeGpu[];
}

/**
 * Decides which pending tasks start now and where. Tasks are taken in order;
 * one that cannot be placed (quota reached, no node of its queue's resource
 * groups with enough free GPUs of its model) waits and the next is tried. All
 * GPUs of a task come from one node; among the nodes that fit, the one with
 * the fewest matching free GPUs is chosen to keep large blocks free.
 */
export function planAssignments(input: SchedulingInput): Assignment[] {
  const freeGpus = new Map(input.nodes.map((node) => [node.name, [...node.freeGpus]]));
  const gpusInUse = new Map([...input.queues].map(([name, queue]) => [name, queue.gpusInUse]));
  const assignments: Assignment[] = [];
  for (const task of input.pendingTasks) {
    const queue = input.queues.get(task.queue);
    if (queue === undefined) {
      continue;
    }
    const inUse = gpusInUse.get(task.queue) ?? 0;
    if (queue.gpuQuota > 0 && inUse + task.gpuCount > queue.gpuQuota) {
      continue;
    }
    const placement = bestFit(task, eligibleNodes(input, queue), freeGpus);
    if (placement === undefined) {
      continue;
    }
    const remaining = freeGpus.get(placement.nodeName) ?? [];
    freeGpus.set(
      placement.nodeName,
      remaining.filter((gpu) => !placement.gpus.includes(gpu)),
    );
    gpusInUse.set(task.queue, inUse + task.gpuCount);
    assignments.push({ taskId: task.id, ...placement });
  }
  return assignments;
}

function eligibleNodes(input: SchedulingInput, queue: QueueCapacity): SchedulableNode[] {
  const selectors = queue.resourceGroups.flatMap((name) => {
    const selector = input.resourceGroups.get(name);
    return selector === undefined ? [] : [selector];
  });
  return input.nodes.filter((node) =>
    selectors.some((selector) =>
      Object.entries(selector).every(([key, value]) => node.labels[key] === value),
    ),
  );
}

function bestFit(
  task: PendingTask,
  nodes: SchedulableNode[],
  freeGpus: Map<string, FreeGpu[]>,
): Omit<Assignment, "taskId"> | undefined {
  let best: Omit<Assignment, "taskId"> | undefined;
  let bestMatching = Number.POSITIVE_INFINITY;
  for (const node of nodes) {
    const matching = (freeGpus.get(node.name) ?? [])
      .filter((gpu) => task.gpuModel === "" || gpu.model === task.gpuModel)
      .sort((a, b) => a.index - b.index);
    if (matching.length >= task.gpuCount && matching.length < bestMatching) {
      best = { nodeName: node.name, gpus: matching.slice(0, task.gpuCount) };
      bestMatching = matching.length;
    }
  }
  return best;
}
