import { run } from "./run.js";

/** What curl got back. */
export interface CurlResponse {
  /** The HTTP status code. */
  status: number;
  /** The HTTP version curl used, for example "1.1" or "2". */
  httpVersion: string;
  body: string;
}

/** Marks where the response body ends and curl's own report begins. */
const reportMarker = "\n--curl-report--";

/**
 * Runs curl with the given arguments (a URL among them) and returns the status,
 * HTTP version and body. Rejects if curl fails without an HTTP response.
 */
export async function curl(args: readonly string[]): Promise<CurlResponse> {
  const result = await run("curl", [
    "--silent",
    "--show-error",
    "--write-out",
    `${reportMarker} %{http_code} %{http_version}`,
    ...args,
  ]);
  const markerAt = result.stdout.lastIndexOf(reportMarker);
  if (result.exitCode !== 0 || markerAt === -1) {
    throw new Error(`curl ${args.join(" ")} exited ${result.exitCode}: ${result.stderr}`);
  }
  const [status, httpVersion] = result.stdout
    .slice(markerAt + reportMarker.length)
    .trim()
    .split(" ");
  return {
    status: Number(status),
    httpVersion: httpVersion ?? "",
    body: result.stdout.slice(0, markerAt),
  };
}
