export type { BuildServerOptions, SherpaServer } from "./build-server.js";
export { buildServer } from "./build-server.js";
export type { LoadedConfig, ServerConfig } from "./config.js";
export { ConfigError, helpText, loadConfig } from "./config.js";
export type { CallLimits } from "./rpc-limits.js";
export { callLimitsFrom, listenerOptionsFrom } from "./rpc-limits.js";
export { settings } from "./settings.js";
