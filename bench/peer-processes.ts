import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { spawnOwned } from "./owned-process.js";
import type { ServerUnderTest, StreamCaseId, UnaryCaseId } from "./server-under-test.js";

/** A peer: a server of the same API on a bare stack, answering canned responses. */
export interface PeerDefinition {
  name: string;
  /** Its script in bench/peers/, without `.ts`. */
  script: string;
  serves: ReadonlyArray<UnaryCaseId | StreamCaseId>;
}

const h2Cases = ["get-task-grpc", "health-check-grpc", "submit-task-grpc"] as const;
const streamCases = ["stream-task-logs", "watch-tasks"] as const;

/** The peers, in the order of the table. */
export const peerDefinitions: readonly PeerDefinition[] = [
  { name: "grpc-js", script: "grpc-js-peer", serves: [...h2Cases, ...streamCases] },
  {
    name: "node:http2",
    script: "node-http2-peer",
    serves: [...h2Cases, "get-task-connect-proto", ...streamCases],
  },
  {
    name: "connect-node",
    script: "connect-node-peer",
    serves: [...h2Cases, "get-task-connect-proto", "get-task-connect-json", ...streamCases],
  },
  { name: "Fastify", script: "fastify-peer", serves: ["get-task-connect-json"] },
];

const peersDir = fileURLToPath(new URL("./peers/", import.meta.url));
const repoRoot = fileURLToPath(new URL("../", import.meta.url));
const announceTimeoutMs = 20_000;

/**
 * Compiles the peers to plain JavaScript in `outDir`, packages left as
 * imports, so that they run on `node` alone like the built Sherpa: a loader
 * such as tsx would add its own thread to their memory.
 */
export async function buildPeers(outDir: string): Promise<void> {
  await build({
    entryPoints: peerDefinitions.map((peer) => join(peersDir, `${peer.script}.ts`)),
    outdir: outDir,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
  });
}

/**
 * Starts a peer built by {@link buildPeers} and resolves once it has told its
 * ports. `headers` are sent on its calls as on Sherpa's, and ignored by it.
 */
export async function startPeer(
  peer: PeerDefinition,
  outDir: string,
  cannedFile: string,
  logFile: string,
  headers: Record<string, string>,
): Promise<ServerUnderTest> {
  const owned = spawnOwned(
    process.execPath,
    [join(outDir, `${peer.script}.js`), cannedFile, repoRoot],
    { logFile, pipeStdout: true },
  );
  const stdout = owned.child.stdout;
  if (stdout === null) {
    throw new Error(`${peer.name}: no stdout`);
  }
  const lines = createInterface({ input: stdout });
  const timeout = AbortSignal.timeout(announceTimeoutMs);
  const announced = await Promise.race([
    once(lines, "line", { signal: timeout }).then(([line]) => String(line)),
    owned.exited.then((code) => {
      throw new Error(`${peer.name} exited with status ${code} before it listened; see ${logFile}`);
    }),
  ]).catch(async (error: unknown) => {
    await owned.stop();
    throw timeout.aborted
      ? new Error(`${peer.name} did not tell its ports within ${announceTimeoutMs} ms`)
      : error;
  });
  const ports = JSON.parse(announced) as { h2?: number; h1?: number };
  const url = (port: number | undefined) =>
    port === undefined ? undefined : `http://127.0.0.1:${port}`;
  return {
    name: peer.name,
    pid: owned.pid,
    h2Url: url(ports.h2),
    h1Url: url(ports.h1),
    headers,
    serves: new Set(peer.serves),
    failedCalls: async () => undefined,
    stop: owned.stop,
  };
}
