import { type ConnectRouter, createContextKey, type HandlerContext } from "@connectrpc/connect";
import type {
  UniversalHandler,
  UniversalServerRequest,
  UniversalServerResponse,
} from "@connectrpc/connect/protocol";
import { wrapRouteHandlers } from "./wrap-route-handlers.js";

/** Set by {@link allowEarlyResponseHeaders} on each call of a server stream. */
const sendHeadersKey = createContextKey<((context: HandlerContext) => void) | undefined>(
  undefined,
  { description: "sends the response headers of a server stream before its first message" },
);

/**
 * Sends the response headers of a server stream now, before its first message,
 * as grpc-go's SendHeader does: connect-es writes them only with the first
 * message, so a client that waits for them (connect-go's WatchTasks() over
 * HTTP/1.1, for one) waits until the stream has something to say. Call it once
 * the stream is ready to serve, for example once it listens for events. Headers
 * set on `context.responseHeader` afterwards are not sent. Does nothing for
 * calls not served through {@link allowEarlyResponseHeaders}.
 */
export function sendResponseHeaders(context: HandlerContext): void {
  context.values.get(sendHeadersKey)?.(context);
}

/**
 * Wraps connect-fastify's `routes` so that the server-streaming handlers among
 * them can call {@link sendResponseHeaders}.
 */
export function allowEarlyResponseHeaders(
  routes: (router: ConnectRouter) => void,
): (router: ConnectRouter) => void {
  return wrapRouteHandlers(routes, (handler) =>
    handler.method.methodKind === "server_streaming" ? sendingHeadersEarly(handler) : undefined,
  );
}

function sendingHeadersEarly(handler: UniversalHandler) {
  return async (request: UniversalServerRequest): Promise<UniversalServerResponse> => {
    let headersWanted: (context: HandlerContext) => void = () => {};
    const wanted = new Promise<HandlerContext>((resolve) => {
      headersWanted = resolve;
    });
    request.contextValues?.set(sendHeadersKey, (context) => headersWanted(context));
    const answered = handler(request);
    const first = await Promise.race([answered, wanted]);
    if (!("values" in first)) {
      return first;
    }
    // connect-node writes the status and headers once the body yields a chunk;
    // an empty one puts them on the wire without writing any message.
    const early: UniversalServerResponse = { status: 200, header: first.responseHeader };
    early.body = (async function* () {
      yield new Uint8Array(0);
      const response = await answered;
      // connect-node reads the trailers (gRPC's status) once the body is done.
      early.trailer = response.trailer;
      if (response.body !== undefined) {
        yield* response.body;
      }
    })();
    return early;
  };
}
