import type { Any } from "@bufbuild/protobuf/wkt";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { appendConformanceHeaders } from "./conformance-headers.js";
import {
  BidiStreamRequestSchema,
  ClientStreamRequestSchema,
  type ConformancePayload_RequestInfo,
  type ConformanceService,
  IdempotentUnaryRequestSchema,
  ServerStreamRequestSchema,
  type StreamResponseDefinition,
  UnaryRequestSchema,
  type UnaryResponseDefinition,
} from "./gen/connectrpc/conformance/v1/service_pb.js";
import { createRequestInfo } from "./request-info.js";
import { delayResponse, errorFromDefinition } from "./response-definition.js";

/**
 * Creates the ConformanceService the Connect conformance runner calls: every
 * call answers as the response definition in its (first) request says, with
 * the headers, trailers, data, delays and error it names, and echoes what the
 * server saw of the call (headers, timeout, requests) in the request info.
 */
export function createConformanceService(): ServiceImpl<typeof ConformanceService> {
  return {
    unary: (request, context) =>
      answerUnary(request.responseDefinition, [anyPack(UnaryRequestSchema, request)], context),
    idempotentUnary: (request, context) =>
      answerUnary(
        request.responseDefinition,
        [anyPack(IdempotentUnaryRequestSchema, request)],
        context,
      ),
    async clientStream(requests, context) {
      let definition: UnaryResponseDefinition | undefined;
      const received: Any[] = [];
      for await (const request of requests) {
        // Only the first message carries the definition; later ones leave it unset.
        definition ??= request.responseDefinition;
        received.push(anyPack(ClientStreamRequestSchema, request));
      }
      return answerUnary(definition, received, context);
    },
    async *serverStream(request, context) {
      const definition = request.responseDefinition;
      startStream(definition, context);
      const requestInfo = createRequestInfo(context, [anyPack(ServerStreamRequestSchema, request)]);
      yield* streamResponses(definition, requestInfo, 0, context);
    },
    async *bidiStream(requests, context) {
      let definition: StreamResponseDefinition | undefined;
      let fullDuplex = false;
      let sent = 0;
      let sinceLastResponse: Any[] = [];
      for await (const request of requests) {
        if (definition === undefined) {
          definition = request.responseDefinition;
          fullDuplex = request.fullDuplex;
          startStream(definition, context);
        }
        sinceLastResponse.push(anyPack(BidiStreamRequestSchema, request));
        if (!fullDuplex) {
          continue;
        }
        const data = definition?.responseData[sent];
        if (data === undefined) {
          break;
        }
        // Full duplex answers each request as it comes, echoing just that request.
        await delayResponse(definition?.responseDelayMs ?? 0, context);
        yield { payload: { data, requestInfo: createRequestInfo(context, sinceLastResponse) } };
        sent++;
        sinceLastResponse = [];
      }
      // Half duplex answers everything now; full duplex sends what requests did not draw out.
      const requestInfo = createRequestInfo(context, sinceLastResponse);
      yield* streamResponses(definition, requestInfo, sent, context);
    },
    unimplemented() {
      throw new ConnectError(
        "ConformanceService.Unimplemented is unimplemented by design",
        Code.Unimplemented,
      );
    },
  };
}

/** A unary (or client-stream) answer: headers and trailers, then the data or the error. */
async function answerUnary(
  definition: UnaryResponseDefinition | undefined,
  requests: Any[],
  context: HandlerContext,
) {
  appendConformanceHeaders(context.responseHeader, definition?.responseHeaders ?? []);
  appendConformanceHeaders(context.responseTrailer, definition?.responseTrailers ?? []);
  const requestInfo = createRequestInfo(context, requests);
  await delayResponse(definition?.responseDelayMs ?? 0, context);
  if (definition?.response.case === "error") {
    throw errorFromDefinition(definition.response.value, requestInfo);
  }
  return { payload: { data: definition?.response.value, requestInfo } };
}

/** Sets the stream's headers and trailers, which must precede the first message. */
function startStream(definition: StreamResponseDefinition | undefined, context: HandlerContext) {
  appendConformanceHeaders(context.responseHeader, definition?.responseHeaders ?? []);
  appendConformanceHeaders(context.responseTrailer, definition?.responseTrailers ?? []);
}

/**
 * Sends the definition's responses from index `from` on, each after its delay,
 * the first of the stream with `requestInfo`, then ends with the definition's
 * error, which carries `requestInfo` when no response did.
 */
async function* streamResponses(
  definition: StreamResponseDefinition | undefined,
  requestInfo: ConformancePayload_RequestInfo,
  from: number,
  context: HandlerContext,
) {
  const responses = definition?.responseData ?? [];
  for (let index = from; index < responses.length; index++) {
    await delayResponse(definition?.responseDelayMs ?? 0, context);
    yield {
      payload: { data: responses[index], requestInfo: index === 0 ? requestInfo : undefined },
    };
  }
  if (definition?.error !== undefined) {
    throw errorFromDefinition(definition.error, responses.length === 0 ? requestInfo : undefined);
  }
}
