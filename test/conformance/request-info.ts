import { create } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import { toConformanceHeaders, toConformanceQueryParams } from "./conformance-headers.js";
import {
  type ConformancePayload_RequestInfo,
  ConformancePayload_RequestInfoSchema,
} from "./gen/connectrpc/conformance/v1/service_pb.js";

/**
 * What the server observed of a call, echoed back so the runner can check it:
 * the request headers, the remaining timeout, the given request messages and,
 * for Connect GET, the query parameters.
 */
export function createRequestInfo(
  context: HandlerContext,
  requests: Any[],
): ConformancePayload_RequestInfo {
  const timeoutMs = context.timeoutMs();
  return create(ConformancePayload_RequestInfoSchema, {
    requestHeaders: toConformanceHeaders(context.requestHeader),
    timeoutMs: timeoutMs === undefined ? undefined : BigInt(timeoutMs),
    requests,
    connectGetInfo:
      context.requestMethod === "GET"
        ? { queryParams: toConformanceQueryParams(context.url) }
        : undefined,
  });
}
