#!/usr/bin/env node
import { runCli } from "./run-cli.js";

// The first Ctrl-C cancels the calls in flight so the command can end cleanly
// (`tasks watch` exits 0); a second one exits at once.
const interrupt = new AbortController();
process.on("SIGINT", () => {
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort();
});

// A closed pipe (`sherpa tasks list | head -1`) is the reader's choice, not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(0);
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  isTTY: process.stderr.isTTY === true,
  env: process.env,
  signal: interrupt.signal,
});
