/**
 * The variables of the agent's own environment that a task gets, those that
 * are set. Nothing else of it passes: the agent's settings (`SHERPA_*`),
 * tokens, database URLs and the like stay the agent's.
 */
export const taskBaseVariables: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LC_ALL",
  "TZ",
  "TMPDIR",
  "TERM",
];

/** What a task's environment is made of. */
export interface TaskEnvironmentParts {
  /** The agent's environment; only `taskBaseVariables` are taken from it. */
  agentEnv: Readonly<Record<string, string | undefined>>;
  /** The task, with the environment its submitter gave it. */
  task: {
    id: string;
    name?: string;
    queue?: string;
    env?: Readonly<Record<string, string>>;
  };
  /** The GPUs the task was assigned. */
  gpuIndices: readonly number[];
  /** The node the task runs on. */
  nodeName: string;
}

/**
 * Picks the base environment of tasks from an environment (usually the
 * agent's `process.env`, read by its configuration): the `taskBaseVariables`
 * that are set.
 */
export function taskBaseEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const base: Record<string, string> = {};
  for (const name of taskBaseVariables) {
    const value = env[name];
    if (value !== undefined) {
      base[name] = value;
    }
  }
  return base;
}

/**
 * Builds a task's environment: the base environment picked from the agent's,
 * then the submitter's variables, then the variables the agent sets for every
 * task: `CUDA_VISIBLE_DEVICES` (its GPU indices, empty for none),
 * `SHERPA_TASK_ID`, `SHERPA_TASK_NAME`, `SHERPA_TASK_QUEUE` and
 * `SHERPA_NODE_NAME`. Those last win over the submitter's, so that a task
 * cannot give itself GPUs or an identity it was not assigned.
 */
export function taskEnvironment(parts: TaskEnvironmentParts): Record<string, string> {
  const { task } = parts;
  return {
    ...taskBaseEnvironment(parts.agentEnv),
    ...task.env,
    CUDA_VISIBLE_DEVICES: parts.gpuIndices.join(","),
    SHERPA_TASK_ID: task.id,
    SHERPA_TASK_NAME: task.name ?? "",
    SHERPA_TASK_QUEUE: task.queue ?? "",
    SHERPA_NODE_NAME: parts.nodeName,
  };
}
