import { type CannedResponses, readCannedResponses } from "../canned-responses.js";

/** What every peer is started with: `node <peer>.js <canned responses file> <repo root>`. */
export interface PeerArguments {
  canned: CannedResponses;
  /** The monorepo root, where the .proto files are. */
  repoRoot: string;
}

/** Reads the peer's command line. */
export function readPeerArguments(argv: readonly string[]): PeerArguments {
  const [cannedFile, repoRoot] = argv.slice(2);
  if (cannedFile === undefined || repoRoot === undefined) {
    throw new Error("usage: node <peer>.js <canned responses file> <repo root>");
  }
  return { canned: readCannedResponses(cannedFile), repoRoot };
}

/** Tells the benchmark the peer's ports, as the first line on stdout. */
export function announcePorts(ports: { h2?: number; h1?: number }): void {
  process.stdout.write(`${JSON.stringify(ports)}\n`);
}

/** Peers keep no state: SIGTERM ends them at once. */
export function exitOnSigterm(): void {
  process.once("SIGTERM", () => process.exit(0));
}
