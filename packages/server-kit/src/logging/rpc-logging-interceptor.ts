import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { grpcCodeName } from "../metrics/grpc-code-name.js";
import { observeCall } from "../metrics/observe-call.js";
import { protocolName } from "./protocol-name.js";
import { resolveRequestId } from "./resolve-request-id.js";
import { malformedRequestKey, peerAddressKey, requestIdKey } from "./rpc-context-keys.js";

/** Where RPC log lines go; Fastify's pino logger (`app.log`) fits. */
export interface RpcLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Options of {@link createRpcLoggingInterceptor}. */
export interface RpcLoggingInterceptorOptions {
  logger: RpcLogger;
  /** A monotonic clock in milliseconds; defaults to `performance.now()`. */
  now?: () => number;
}

const requestIdHeader = "x-request-id";

// Failures that are the server's fault; every other code is the caller's business.
const serverFaults = new Set([Code.Unknown, Code.Internal, Code.DataLoss]);

/**
 * A server interceptor that writes exactly one line per RPC when it ends, with
 * `rpc`, `code` (grpc-go name, "OK" on success), `durationMs`, `protocol`,
 * `peer`, `requestId` and `userAgent`: at info level, or at error level with
 * the cause as `err` for Unknown, Internal and DataLoss, unless the request
 * failed to decode (`malformedRequestKey`): the caller's fault, a warning. It echoes the request
 * id as `x-request-id` in the response header, or in the metadata of errors
 * raised before there is one, so that failed calls carry it too. Put it first
 * (outermost) in the server's interceptors, so that its line covers the whole
 * call and inner interceptors and handlers find the id under `requestIdKey`.
 */
export function createRpcLoggingInterceptor({
  logger,
  now = () => performance.now(),
}: RpcLoggingInterceptorOptions): Interceptor {
  return (next) => async (req) => {
    const startedAt = now();
    const requestId =
      req.contextValues.get(requestIdKey) ||
      resolveRequestId(req.header.get(requestIdHeader) ?? undefined);
    req.contextValues.set(requestIdKey, requestId);
    const rpc = `${req.method.parent.typeName}/${req.method.name}`;
    const context = {
      protocol: protocolName(req.header.get("content-type")),
      peer: req.contextValues.get(peerAddressKey) || undefined,
      requestId,
      userAgent: userAgent(req.header),
    };
    let inResponseHeader = false;
    const res = await observeCall(next, req, {
      onEnd: (error) => {
        const durationMs = Math.round((now() - startedAt) * 1000) / 1000;
        if (error === undefined) {
          logger.info({ rpc, code: "OK", durationMs, ...context }, "rpc finished");
          return;
        }
        const line = { rpc, code: grpcCodeName(error.code), durationMs, ...context };
        if (serverFaults.has(error.code) && req.contextValues.get(malformedRequestKey)) {
          logger.warn({ ...line, errorMessage: error.rawMessage }, "rpc finished");
        } else if (serverFaults.has(error.code)) {
          logger.error({ ...line, err: error.cause ?? error }, "rpc failed");
        } else {
          logger.info({ ...line, errorMessage: error.rawMessage }, "rpc finished");
        }
      },
      // Once in the response header, the id reaches the caller with any later error.
      mapError: (error) => (inResponseHeader ? error : withRequestId(error, requestId)),
    });
    res.header.set(requestIdHeader, requestId);
    inResponseHeader = true;
    return res;
  };
}

// Browsers do not let gRPC-Web clients set user-agent, so they send x-user-agent
// as well; keep both when they differ.
function userAgent(header: Headers): string | undefined {
  const agents = new Set([header.get("user-agent"), header.get("x-user-agent")]);
  agents.delete(null);
  agents.delete("");
  return agents.size > 0 ? [...agents].join(" ") : undefined;
}

function withRequestId(error: unknown, requestId: string): ConnectError {
  // Every protocol answers an error that is not a ConnectError with an opaque
  // Internal; answering the same ourselves is the only way to attach the id.
  const connectError =
    error instanceof ConnectError
      ? error
      : new ConnectError("internal error", Code.Internal, undefined, undefined, error);
  connectError.metadata.set(requestIdHeader, requestId);
  return connectError;
}
