export type { BuildServerOptions, SherpaServer } from "./build-server.js";
export { buildServer } from "./build-server.js";
export type { LoadedConfig, ServerConfig } from "./config.js";
export { ConfigError, helpText, loadConfig, settings } from "./config.js";
