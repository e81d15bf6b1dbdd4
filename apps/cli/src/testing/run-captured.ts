import type { InputSource } from "../cli-io.js";
import { runCli } from "../run-cli.js";

// The SDK's Node.js client sends process.env.SHERPA_TOKEN when given no token; these
// specs give the CLI its environment explicitly, so a token exported in the shell that
// runs them must not reach the fake servers.
delete process.env.SHERPA_TOKEN;

/** A fixed "now" for tests: 2024-05-01T12:00:00Z. */
export const testNowMs = Date.parse("2024-05-01T12:00:00Z");

/** What a run printed and how it exited. */
export interface CapturedRun {
  /** The exit status runCli resolved to. */
  readonly exitCode: number;
  /** Everything written to stdout. */
  readonly stdout: string;
  /** Everything written to stderr. */
  readonly stderr: string;
}

/** Options of `runCaptured`. */
export interface RunCapturedOptions {
  /** Whether stderr is a terminal; false unless set. */
  readonly isTTY?: boolean;
  /** Environment variables. */
  readonly env?: Record<string, string>;
  /** Standard input; none unless set. */
  readonly stdin?: InputSource;
  /** Stands for Ctrl-C. */
  readonly signal?: AbortSignal;
  /** Called with all of stdout so far after each write, to react to output. */
  readonly onStdout?: (stdout: string) => void;
}

/** Runs `sherpa ARGV` in-process at `testNowMs` and captures what it printed. */
export async function runCaptured(
  argv: readonly string[],
  options: RunCapturedOptions = {},
): Promise<CapturedRun> {
  let stdout = "";
  let stderr = "";
  const exitCode = await runCli(argv, {
    stdout: {
      write(text: string) {
        stdout += text;
        options.onStdout?.(stdout);
      },
    },
    stderr: {
      write(text: string) {
        stderr += text;
      },
    },
    isTTY: options.isTTY ?? false,
    env: options.env ?? {},
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    now: () => testNowMs,
  });
  return { exitCode, stdout, stderr };
}
