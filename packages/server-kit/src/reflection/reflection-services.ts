import type { DescFile, FileRegistry } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { ServerReflection as ServerReflectionV1 } from "@sherpa/proto/grpc/reflection/v1/reflection_pb.js";
import type { ServerReflection as ServerReflectionV1alpha } from "@sherpa/proto/grpc/reflection/v1alpha/reflection_pb.js";
import {
  createReflectionAnswerer,
  type ReflectionAnswer,
  type ReflectionQuery,
} from "./reflection-answerer.js";
import { createReflectionRegistry } from "./reflection-registry.js";

/**
 * Implementations of `grpc.reflection.v1.ServerReflection` and of its
 * predecessor `grpc.reflection.v1alpha.ServerReflection`, which older clients
 * still call; both answer from the same files.
 */
export interface ReflectionServices {
  readonly v1: ServiceImpl<typeof ServerReflectionV1>;
  readonly v1alpha: ServiceImpl<typeof ServerReflectionV1alpha>;
}

/**
 * Create server reflection over the given files (or registry) and all their
 * transitive imports, listing the given fully-qualified service names (pass the
 * reflection and health services too when they are mounted). Throws when a
 * listed service is declared by none of the files.
 */
export function createReflectionServices(
  files: FileRegistry | Iterable<DescFile>,
  services: string[],
): ReflectionServices {
  const registry = createReflectionRegistry(files);
  for (const name of services) {
    if (registry.getService(name) === undefined) {
      throw new Error(`reflection: cannot list service "${name}": no given file declares it`);
    }
  }
  const answer = createReflectionAnswerer(registry, services);
  return {
    v1: { serverReflectionInfo: answerEach(answer) },
    v1alpha: { serverReflectionInfo: answerEach(answer) },
  };
}

interface ReflectionRequest {
  host: string;
  messageRequest: ReflectionQuery;
}

/**
 * The bidi handler for either protocol version: one response per request, in
 * order; an unanswerable query gets an error_response and the stream goes on.
 */
function answerEach(answer: (query: ReflectionQuery) => ReflectionAnswer) {
  return async function* <Request extends ReflectionRequest>(requests: AsyncIterable<Request>) {
    for await (const request of requests) {
      yield {
        validHost: request.host,
        originalRequest: request,
        messageResponse: answer(request.messageRequest),
      };
    }
  };
}
