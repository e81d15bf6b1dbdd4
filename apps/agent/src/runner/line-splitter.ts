/** Turns chunks of a byte stream into lines of text. */
export interface LineSplitter {
  /** Takes the next chunk; returns the lines it completed. */
  push(chunk: Buffer): string[];
  /** Takes the end of the stream; returns the last, unterminated line if there is one. */
  end(): string[];
}

const newline = 0x0a;
const carriageReturn = 0x0d;

/**
 * Creates a LineSplitter for UTF-8 output: lines end at "\n", a "\r" before it
 * is dropped, and a line longer than `maxLineBytes` is cut into pieces of at
 * most that many bytes, never inside a character, so one runaway line cannot
 * grow without bound.
 */
export function createLineSplitter(maxLineBytes: number): LineSplitter {
  let pending: Buffer = Buffer.alloc(0);
  return {
    push(chunk) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const lines: string[] = [];
      for (;;) {
        const end = pending.indexOf(newline);
        const lineBytes = end > 0 && pending[end - 1] === carriageReturn ? end - 1 : end;
        if (end !== -1 && lineBytes <= maxLineBytes) {
          lines.push(pending.toString("utf8", 0, lineBytes));
          pending = pending.subarray(end + 1);
        } else if (pending.length > maxLineBytes) {
          const cut = characterBoundary(pending, maxLineBytes);
          lines.push(pending.toString("utf8", 0, cut));
          pending = pending.subarray(cut);
        } else {
          break;
        }
      }
      // Copy the rest so the big chunk it came from can be collected.
      pending = Buffer.from(pending);
      return lines;
    },
    end() {
      const rest = pending;
      pending = Buffer.alloc(0);
      if (rest.length === 0) {
        return [];
      }
      const length = rest[rest.length - 1] === carriageReturn ? rest.length - 1 : rest.length;
      return [rest.toString("utf8", 0, length)];
    },
  };
}

/** The largest cut position <= limit that does not split a UTF-8 sequence. */
function characterBoundary(bytes: Buffer, limit: number): number {
  let cut = limit;
  // Continuation bytes look like 10xxxxxx; back up to the byte that starts the character.
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) {
    cut--;
  }
  return cut === 0 ? limit : cut;
}
