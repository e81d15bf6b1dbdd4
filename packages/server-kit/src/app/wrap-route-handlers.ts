import type { ConnectRouter } from "@connectrpc/connect";
import type { UniversalHandler, UniversalHandlerFn } from "@connectrpc/connect/protocol";

/**
 * Wraps connect-fastify's `routes`: once they are registered, each universal
 * handler (one per RPC, serving all three protocols) for which `wrap` returns
 * a function is replaced by that function, which keeps the handler's route
 * properties (path, methods, content types). connect-fastify reads
 * `router.handlers` only after `routes` has run.
 */
export function wrapRouteHandlers(
  routes: (router: ConnectRouter) => void,
  wrap: (handler: UniversalHandler) => UniversalHandlerFn | undefined,
): (router: ConnectRouter) => void {
  return (router) => {
    routes(router);
    router.handlers.forEach((handler, index) => {
      const wrapped = wrap(handler);
      if (wrapped !== undefined) {
        router.handlers[index] = Object.assign(wrapped, {
          protocolNames: handler.protocolNames,
          service: handler.service,
          method: handler.method,
          requestPath: handler.requestPath,
          allowedMethods: handler.allowedMethods,
          supportedContentType: handler.supportedContentType,
        });
      }
    });
  };
}
