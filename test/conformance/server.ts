/**
 * The server the Connect conformance runner starts (`connectconformance --mode
 * server -- node --import tsx test/conformance/server.ts`): it reads the
 * runner's ServerCompatRequest from stdin, listens on 127.0.0.1 on a free
 * port, answers with a ServerCompatResponse on stdout and serves until SIGTERM.
 */
import type { AddressInfo } from "node:net";
import { buildConformanceServer } from "./build-conformance-server.js";
import { readServerCompatRequest, writeServerCompatResponse } from "./server-compat.js";

/** Time for in-flight calls to finish after SIGTERM before the process exits anyway. */
const closeTimeoutMs = 5_000;

async function main(): Promise<void> {
  const request = await readServerCompatRequest(process.stdin);
  const { app, pemCert } = await buildConformanceServer(request, { logStream: process.stderr });
  process.once("SIGTERM", () => {
    setTimeout(() => process.exit(1), closeTimeoutMs).unref();
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { address, port } = app.server.address() as AddressInfo;
  await writeServerCompatResponse(process.stdout, { host: address, port, pemCert });
}

main().catch((error: unknown) => {
  process.stderr.write(`conformance server: ${error instanceof Error ? error.stack : error}\n`);
  process.exit(1);
});
