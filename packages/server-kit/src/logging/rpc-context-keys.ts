import { createContextKey } from "@connectrpc/connect";

/**
 * The id of the request, for log lines and the `x-request-id` response header.
 * Set it in the server's `contextValues(req)` with `resolveRequestId`, so that
 * Fastify's and Connect's logs agree; when it is left empty, the RPC logging
 * interceptor resolves it from the request header and sets it.
 */
export const requestIdKey = createContextKey<string>("", { description: "request id" });

/** The address of the client ("203.0.113.7:51234"), set in the server's `contextValues(req)`. */
export const peerAddressKey = createContextKey<string>("", { description: "peer address" });

/**
 * Set when the call's request failed to decode: the caller's fault even where
 * the protocol makes the answer Internal (a frame flagged compressed without an
 * encoding), so the RPC logging interceptor logs it as a warning, without a stack.
 */
export const malformedRequestKey = createContextKey(false, { description: "malformed request" });
