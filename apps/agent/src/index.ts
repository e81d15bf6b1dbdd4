export type { Agent, AgentOptions } from "./agent/create-agent.js";
export { createAgent } from "./agent/create-agent.js";
export type { ReconnectBackoffOptions } from "./agent/reconnect-backoff.js";
export type { AgentConfig, LoadedAgentConfig, MachineFacts } from "./agent-config.js";
export { AgentConfigError, agentHelpText, agentSettings, loadAgentConfig } from "./agent-config.js";
export type { AgentLogger } from "./agent-logger.js";
export { silentLogger } from "./agent-logger.js";
export type { DiscoverGpusOptions } from "./gpu/discover-gpus.js";
export { discoverGpus } from "./gpu/discover-gpus.js";
export type { GpuInfo, GpuInventory } from "./gpu/gpu-info.js";
export { parseNvidiaSmiCsv } from "./gpu/parse-nvidia-smi-csv.js";
export { parseSimulatedGpus } from "./gpu/parse-simulated-gpus.js";
export type { QueryNvidiaSmiOptions } from "./gpu/query-nvidia-smi.js";
export { queryNvidiaSmi } from "./gpu/query-nvidia-smi.js";
export type { JsonLoggerOptions, LogLevel } from "./json-logger.js";
export { createJsonLogger } from "./json-logger.js";
export type {
  OutputStreamName,
  RunnableTask,
  RunTaskOptions,
  TaskHandle,
} from "./runner/run-task.js";
export { runTask } from "./runner/run-task.js";
export type { TaskEnvironmentParts } from "./runner/task-environment.js";
export {
  taskBaseEnvironment,
  taskBaseVariables,
  taskEnvironment,
} from "./runner/task-environment.js";
export type { TaskOutcome } from "./runner/task-outcome.js";
