import { Code, ConnectError } from "@connectrpc/connect";
import type { ListenerOptions, ListenerTlsOptions } from "@sherpa/server-kit";
import type { FastifyInstance } from "fastify";
import type { ServerConfig } from "./config.js";

/** The limits connect-fastify enforces on each call. */
export interface CallLimits {
  readMaxBytes: number;
  maxTimeoutMs: number;
  /** Aborted, with Unavailable, once the shutdown grace has run out. */
  shutdownSignal: AbortSignal;
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
 * how long calls may run on after `app` begins closing before they are ended
 * with Unavailable.
 */
export function callLimitsFrom(config: ServerConfig, app: FastifyInstance): CallLimits {
  return {
    readMaxBytes: config.maxMessageBytes,
    maxTimeoutMs: config.maxDeadlineMs,
    shutdownSignal: shutdownSignalOf(app, config.shutdownGraceMs),
  };
}

/**
 * A signal aborted `graceMs` after the app starts closing. connect-fastify's own
 * `shutdownTimeoutMs` arms a timer that is never cleared nor unref'd, so a
 * closed app kept its process alive for the whole grace; this one is cleared
 * once the app has closed and never holds the process up.
 */
function shutdownSignalOf(app: FastifyInstance, graceMs: number): AbortSignal {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  app.addHook("preClose", (done) => {
    timer = setTimeout(
      () => controller.abort(new ConnectError("server is shutting down", Code.Unavailable)),
      graceMs,
    ).unref();
    done();
  });
  app.addHook("onClose", (_instance, done) => {
    clearTimeout(timer);
    done();
  });
  return controller.signal;
}
