import type { ConnectRouter } from "@connectrpc/connect";
import type {
  UniversalHandler,
  UniversalServerRequest,
  UniversalServerResponse,
} from "@connectrpc/connect/protocol";
import { wrapRouteHandlers } from "./wrap-route-handlers.js";

const methodNotAllowed = 405;

/**
 * Wraps connect-fastify's `routes` so that a 405 Method Not Allowed (a Connect
 * GET of a method that is not NO_SIDE_EFFECTS, a PUT, ...) says which methods
 * the RPC allows in an `Allow` header, as RFC 9110 requires: `POST`, or
 * `POST, GET` for methods Connect GET may call. connect-es sends none.
 */
export function addAllowHeader(
  routes: (router: ConnectRouter) => void,
): (router: ConnectRouter) => void {
  return wrapRouteHandlers(routes, allowingHeader);
}

function allowingHeader(handler: UniversalHandler) {
  return async (request: UniversalServerRequest): Promise<UniversalServerResponse> => {
    const response = await handler(request);
    if (response.status !== methodNotAllowed) {
      return response;
    }
    const header = new Headers(response.header);
    header.set("allow", handler.allowedMethods.join(", "));
    return { ...response, header };
  };
}
