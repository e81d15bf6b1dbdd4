/** Somewhere text can be written: `process.stdout`, or a buffer in tests. */
export interface TextSink {
  write(text: string): unknown;
}

/** Standard input: `process.stdin`, or a stream in tests; a terminal has `isTTY` and `setRawMode`. */
export interface InputSource extends NodeJS.ReadableStream {
  /** Whether it is a terminal, where typed secrets must not be echoed. */
  readonly isTTY?: boolean;
}

/**
 * Everything the CLI touches outside itself, so that tests can run it in-process
 * and read what a user would see.
 */
export interface CliIo {
  /** Results: task IDs, tables, JSON, the task's standard output. */
  readonly stdout: TextSink;
  /** Errors, usage, progress and the task's standard error. */
  readonly stderr: TextSink;
  /** Where `sherpa login` reads a token not given with --token; none unless given. */
  readonly stdin?: InputSource;
  /** Whether stderr is a terminal: progress is then redrawn in place instead of one line per change. */
  readonly isTTY: boolean;
  /** Environment variables (`SHERPA_SERVER`, `SHERPA_TOKEN`, `HOME`...); none unless given. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C: calls in flight are cancelled and the command ends. */
  readonly signal?: AbortSignal;
  /** The current time in milliseconds since the epoch, for ages and elapsed times; `Date.now` unless given. */
  readonly now?: () => number;
}

/** Writes `text` and a line break to `sink`. */
export function writeLine(sink: TextSink, text = ""): void {
  sink.write(`${text}\n`);
}
