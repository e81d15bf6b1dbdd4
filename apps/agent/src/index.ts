export type { Agent, AgentOptions } from "./agent/create-agent.js";
export { createAgent } from "./agent/create-agent.js";
export type { ReconnectBackoffOptions } from "./agent/reconnect-backoff.js";
export type { AgentLogger } from "./agent-logger.js";
export type { DiscoverGpusOptions } from "./gpu/discover-gpus.js";
export { discoverGpus } from "./gpu/discover-gpus.js";
export type { GpuInfo, GpuInventory } from "./gpu/gpu-info.js";
export { taskBaseEnvironment, taskBaseVariables } from "./runner/task-environment.js";
