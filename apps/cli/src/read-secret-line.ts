import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import type { InputSource } from "./cli-io.js";
import { InterruptedError } from "./interrupted-error.js";

/**
 * Reads one line from `input` without showing it: on a terminal, readline
 * switches it to raw mode, so the terminal echoes nothing, and readline's own
 * echo goes nowhere. Resolves to the line, or undefined when the input ends
 * first; rejects with an InterruptedError on Ctrl-C or when `signal` aborts.
 */
export function readSecretLine(
  input: InputSource,
  signal: AbortSignal,
): Promise<string | undefined> {
  const lines = createInterface({ input, output: discard(), terminal: input.isTTY === true });
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      signal.removeEventListener("abort", interrupt);
      lines.close();
      settle();
    };
    const interrupt = () => finish(() => reject(new InterruptedError()));
    lines.once("line", (line) => finish(() => resolve(line)));
    lines.once("close", () => finish(() => resolve(undefined)));
    // In raw mode Ctrl-C is a keypress, not a signal; readline reports it here.
    lines.once("SIGINT", interrupt);
    signal.addEventListener("abort", interrupt, { once: true });
    if (signal.aborted) interrupt();
  });
}

function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
}
