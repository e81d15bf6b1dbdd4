/** What one run of the benchmark is sized by; every value has a default. */
export interface BenchSettings {
  /** Seconds of measured load per unary case, after one second of warm-up. */
  seconds: number;
  /** Lines of the task log that StreamTaskLogs sends. */
  logLines: number;
  /** WatchTasks streams held open at once. */
  watchStreams: number;
  /** Pending tasks of the scheduling pass. */
  pendingTasks: number;
  /** Simulated GPUs of the scheduling pass, 8 to a node. */
  gpus: number;
  /** Only cases whose name contains this text (case-insensitive); empty for all. */
  only: string;
}

const defaults: BenchSettings = {
  seconds: 5,
  logLines: 1_000_000,
  watchStreams: 10_000,
  pendingTasks: 10_000,
  gpus: 1_000,
  only: "",
};

/** The BENCH_* variables the settings come from, by setting. */
const variables: Record<keyof BenchSettings, string> = {
  seconds: "BENCH_SECONDS",
  logLines: "BENCH_LOG_LINES",
  watchStreams: "BENCH_WATCH_STREAMS",
  pendingTasks: "BENCH_PENDING_TASKS",
  gpus: "BENCH_GPUS",
  only: "BENCH_ONLY",
};

/**
 * Reads the settings from BENCH_* variables; a number that is not a positive
 * integer throws, naming the variable.
 */
export function readBenchSettings(env: NodeJS.ProcessEnv): BenchSettings {
  const positive = (key: Exclude<keyof BenchSettings, "only">) => {
    const text = env[variables[key]];
    if (text === undefined || text === "") {
      return defaults[key];
    }
    if (!/^[1-9]\d*$/.test(text)) {
      throw new Error(`${variables[key]} is "${text}"; allowed: a positive integer`);
    }
    return Number(text);
  };
  return {
    seconds: positive("seconds"),
    logLines: positive("logLines"),
    watchStreams: positive("watchStreams"),
    pendingTasks: positive("pendingTasks"),
    gpus: positive("gpus"),
    only: env[variables.only] ?? defaults.only,
  };
}
