import { setTimeout as sleep } from "node:timers/promises";
import { type Any, anyPack } from "@bufbuild/protobuf/wkt";
import { type Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import {
  type Error as ConformanceError,
  type ConformancePayload_RequestInfo,
  ConformancePayload_RequestInfoSchema,
} from "./gen/connectrpc/conformance/v1/service_pb.js";

/**
 * The error a response definition asks for. Its details are passed on as the
 * bytes the client sent, so that any type round-trips without a registry; with
 * `requestInfo`, the request info is attached as one more detail, which is how
 * a call that fails before any response message still echoes what it saw.
 */
export function errorFromDefinition(
  definition: ConformanceError,
  requestInfo?: ConformancePayload_RequestInfo,
): ConnectError {
  // The conformance Code enum numbers the codes as Connect's does.
  const error = new ConnectError(definition.message ?? "", definition.code as number as Code);
  const details =
    requestInfo === undefined
      ? definition.details
      : [...definition.details, anyPack(ConformancePayload_RequestInfoSchema, requestInfo)];
  error.details = details.map(toRawDetail);
  return error;
}

/**
 * Waits the delay a response definition asks for before a response. A call
 * that ends meanwhile (deadline, cancel) stops waiting and fails with its reason.
 */
export async function delayResponse(delayMs: number, context: HandlerContext): Promise<void> {
  if (delayMs > 0) {
    await sleep(delayMs, undefined, { signal: context.signal }).catch(() =>
      context.signal.throwIfAborted(),
    );
  }
}

function toRawDetail(detail: Any) {
  return { type: detail.typeUrl.slice(detail.typeUrl.lastIndexOf("/") + 1), value: detail.value };
}
