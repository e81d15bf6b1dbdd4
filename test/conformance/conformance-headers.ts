import type { Header } from "./gen/connectrpc/conformance/v1/service_pb.js";

/** Headers as the conformance protos carry them: one entry per name, values in order. */
export type ConformanceHeaders = { name: string; value: string[] }[];

/** Adds each value of each conformance header to `target`, keeping repeated names repeated. */
export function appendConformanceHeaders(target: Headers, headers: readonly Header[]): void {
  for (const header of headers) {
    for (const value of header.value) {
      target.append(header.name, value);
    }
  }
}

/** The headers the server saw, to echo back in a response's request info. */
export function toConformanceHeaders(headers: Headers): ConformanceHeaders {
  const result: ConformanceHeaders = [];
  // The Fetch API joins repeated names into one comma-separated value, as HTTP allows.
  headers.forEach((value, name) => {
    result.push({ name, value: [value] });
  });
  return result;
}

/** The query parameters of a URL, in order, with repeated names grouped. */
export function toConformanceQueryParams(url: string): ConformanceHeaders {
  const params = new URL(url, "http://localhost").searchParams;
  return [...new Set(params.keys())].map((name) => ({ name, value: params.getAll(name) }));
}
