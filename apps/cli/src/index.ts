export type { CliIo, TextSink } from "./cli-io.js";
export { runCli } from "./run-cli.js";
