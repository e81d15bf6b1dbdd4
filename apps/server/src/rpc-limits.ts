import { Code, ConnectError } from "@connectrpc/connect";
import type { ListenerOptions, ListenerTlsOptions } from "@sherpa/server-kit";
import type { ServerConfig } from "./config.js";

/** The limits connect-fastify enforces on each call. */
export interface CallLimits {
  readMaxBytes: number;
  maxTimeoutMs: number;
  shutdownTimeoutMs: number;
  shutdownError: ConnectError;
}

/**
 * The listener of a Sherpa server: its TLS, HTTP/2 stream limit, connection
 * timeouts and request body timeout, which the paths of client-streaming and
 * bidi methods (`untimedBodyPaths`) are exempt from.
 */
export function listenerOptionsFrom(
  config: ServerConfig,
  tls: ListenerTlsOptions | undefined,
  untimedBodyPaths: ReadonlySet<string>,
): ListenerOptions {
  return {
    tls,
    maxConcurrentStreams: config.maxConcurrentStreams,
    firstBytesTimeoutMs: config.headersTimeoutMs,
    headersTimeoutMs: config.headersTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    bodyTimeoutMs: config.bodyTimeoutMs,
    untimedBodyPaths,
  };
}

/**
 * The limits of a Sherpa server on each call: message size, deadline cap, and
 * how long calls may run on after shutdown begins before they are ended with
 * Unavailable.
 */
export function callLimitsFrom(config: ServerConfig): CallLimits {
  return {
    readMaxBytes: config.maxMessageBytes,
    maxTimeoutMs: config.maxDeadlineMs,
    shutdownTimeoutMs: config.shutdownGraceMs,
    shutdownError: new ConnectError("server is shutting down", Code.Unavailable),
  };
}
