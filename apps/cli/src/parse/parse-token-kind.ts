import { TokenKind } from "@sherpa/proto";
import { UsageError } from "../usage-error.js";

const kindsByName: ReadonlyMap<string, TokenKind> = new Map([
  ["api", TokenKind.API],
  ["join", TokenKind.JOIN],
  ["node", TokenKind.NODE],
]);

/**
 * Parses a token kind as users type it (`api`, `join` or `node`,
 * case-insensitive). Throws a UsageError naming `option` otherwise.
 */
export function parseTokenKind(text: string, option: string): TokenKind {
  const kind = kindsByName.get(text.trim().toLowerCase());
  if (kind === undefined) {
    throw new UsageError(`${option} must be api, join or node, got "${text}"`);
  }
  return kind;
}
