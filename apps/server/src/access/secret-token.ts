import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { TokenKind } from "../domain/credential.js";

// The prefix tells the kind, so that secret scanners can spot each one.
const prefixes: Record<TokenKind, string> = { api: "shp", join: "shj", node: "shn" };
const kindsByPrefix = new Map(Object.entries(prefixes).map(([kind, prefix]) => [prefix, kind]));
const base32Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
const tokenPattern = /^(shp|shj|shn)_([a-z2-7]{16})_([a-z2-7]{52})$/;

/** A token split into its public ID and its secret part. */
export interface ParsedToken {
  kind: TokenKind;
  /** The public part, also the token's ID: safe to log and show. */
  id: string;
  secret: string;
}

/** A freshly made token: the text to hand out once, and what to store. */
export interface NewToken {
  id: string;
  /** The whole token, `shp_<id>_<secret>`; shown once, never stored. */
  text: string;
  /** SHA-256 of the secret part, hex; what the store keeps. */
  secretHash: string;
}

/** Makes a token of a kind: an 80-bit public ID and a 260-bit secret. */
export function newToken(kind: TokenKind): NewToken {
  const id = base32(randomBytes(10));
  const secret = base32(randomBytes(33)).slice(0, 52);
  return { id, text: `${prefixes[kind]}_${id}_${secret}`, secretHash: hashSecret(secret) };
}

/** Splits a token; undefined when it is not shaped like one of Sherpa's. */
export function parseToken(text: string): ParsedToken | undefined {
  const match = tokenPattern.exec(text);
  if (match === null) {
    return undefined;
  }
  const [, prefix = "", id = "", secret = ""] = match;
  return { kind: kindsByPrefix.get(prefix) as TokenKind, id, secret };
}

/** Whether a secret matches a stored hash, in constant time. */
export function secretMatches(secret: string, secretHash: string): boolean {
  const expected = Buffer.from(secretHash, "hex");
  const actual = Buffer.from(hashSecret(secret), "hex");
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

// The secrets are random and long, so a fast hash is enough: there is nothing to guess.
function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let text = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      text += base32Alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return bits > 0 ? text + base32Alphabet[(value << (5 - bits)) & 31] : text;
}
