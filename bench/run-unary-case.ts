import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runH2load } from "./h2load.js";
import { createOwnedTransport } from "./owned-transport.js";
import type { ResultRow } from "./result-row.js";
import type { ServerUnderTest } from "./server-under-test.js";
import { baseUrlFor, protocolHeaders, type UnaryCase } from "./unary-cases.js";

/** What every unary run shares. */
export interface UnaryRunContext {
  h2load: string;
  seconds: number;
  /** Where request bodies and h2load's logs go. */
  outDir: string;
}

/**
 * Runs one unary case against one server: one call with a real client that
 * must get the expected answer, then h2load. A gRPC error travels in a 200
 * response's trailers, which h2load does not read; for servers that count
 * their calls (Sherpa's /metrics) the calls that did not end OK are noted.
 */
export async function runUnaryCase(
  unaryCase: UnaryCase,
  server: ServerUnderTest,
  context: UnaryRunContext,
): Promise<ResultRow> {
  const baseUrl = baseUrlFor(server, unaryCase.protocol);
  if (baseUrl === undefined) {
    throw new Error(`${server.name} has no port for ${unaryCase.protocol}`);
  }
  const credential = unaryCase.authenticated ? server.headers : {};
  const row = { caseTitle: unaryCase.title, server: server.name, unit: "req/s" as const };
  const client = createOwnedTransport(unaryCase.protocol, baseUrl);
  try {
    await unaryCase.check(client.transport, credential);
  } catch (error) {
    return { ...row, value: Number.NaN, note: `check failed: ${(error as Error).message}` };
  } finally {
    client.close();
  }
  const slug = `${unaryCase.id}-${server.name.replace(/\W+/g, "-")}`;
  const bodyFile = join(context.outDir, `${unaryCase.id}.body`);
  await writeFile(bodyFile, unaryCase.body);
  const failedBefore = await server.failedCalls(unaryCase.method);
  const load = await runH2load({
    h2load: context.h2load,
    url: `${baseUrl}${unaryCase.path}`,
    http1: unaryCase.protocol === "connect-json",
    seconds: context.seconds,
    bodyFile,
    headers: { ...protocolHeaders(unaryCase.protocol), ...credential },
    logFile: join(context.outDir, `h2load-${slug}.log`),
  });
  const failedAfter = await server.failedCalls(unaryCase.method);
  const notes = [`${load.requests.toLocaleString("en-US")} calls`];
  if (load.failed > 0) {
    notes.push(`${load.failed} failed (h2load)`);
  }
  if (failedBefore !== undefined && failedAfter !== undefined) {
    notes.push(
      failedAfter > failedBefore
        ? `${failedAfter - failedBefore} not OK (metrics)`
        : "all OK (metrics)",
    );
  }
  return {
    ...row,
    value: load.requestsPerSecond,
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    note: notes.join("; "),
  };
}
