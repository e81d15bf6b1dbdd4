import type { DescService } from "@bufbuild/protobuf";

/**
 * The request paths (`/package.Service/Method`) of the client-streaming and
 * bidi methods of the services: the calls whose request body legitimately
 * stays open, for the listener's `untimedBodyPaths`.
 */
export function streamingRequestPaths(services: Iterable<DescService>): Set<string> {
  const paths = new Set<string>();
  for (const service of services) {
    for (const method of service.methods) {
      if (method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming") {
        paths.add(`/${service.typeName}/${method.name}`);
      }
    }
  }
  return paths;
}
