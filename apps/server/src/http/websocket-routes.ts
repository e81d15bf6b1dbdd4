import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type {} from "@fastify/websocket";
import { LogLineSchema, TaskSchema } from "@sherpa/proto";
import type { FastifyInstance } from "fastify";
import type { WebSocket } from "ws";
import type { Principal } from "../access/principal.js";
import { canSeeEnvValues, checkCanSeeTask, visibleQueues } from "../access/task-access.js";
import { DomainError } from "../domain/errors.js";
import type { Task, TaskState } from "../domain/records.js";
import { followTaskLogs } from "../events/follow-task-logs.js";
import type { TaskEventHub } from "../events/task-event-hub.js";
import { watchTaskEvents } from "../events/watch-task-events.js";
import { toLogLineMessage, toTaskMessage } from "../services/task-message.js";
import type { TaskLogStore } from "../storage/task-log-store.js";
import type { TaskStore } from "../storage/task-store.js";
import { rejectForeignOrigins } from "./reject-foreign-origins.js";
import { type RoutePermissionDeps, requirePermission } from "./require-permission.js";

/** Close codes of Sherpa's WebSockets, besides 1000 (done) and 1001 (server shutting down). */
export const webSocketCloseCodes = {
  badRequest: 4400,
  /** The caller may not see this task (a queue it has no grant for). */
  forbidden: 4403,
  /** The credential was revoked or expired while the socket was open. */
  unauthenticated: 4401,
  notFound: 4404,
  /** The client read so slowly that more than the buffer limit was waiting for it. */
  tooSlow: 4429,
  internalError: 1011,
} as const;

/**
 * How long a client closed with 4429 (too slow) has to complete the close
 * handshake before its connection is reset. A client that stopped reading
 * never reads the close frame, queued behind the frames it left unread.
 */
export const webSocketCloseTimeoutMs = 2000;

/** What the WebSocket routes need. */
export interface WebSocketRoutesDeps {
  tasks: TaskStore;
  logs: TaskLogStore;
  events: TaskEventHub;
  /** Most bytes queued for one slow client before its socket is closed with 4429. */
  bufferLimitBytes: number;
  /** Web page origins that may open these WebSockets (SHERPA_CORS_ORIGINS); `*` allows any. */
  allowedOrigins: readonly string[];
  logger: { error(details: object, message: string): void };
  /** Audit log and rate limiter of the upgrade requests. */
  routeAccess: RoutePermissionDeps;
}

const taskStates: Record<string, TaskState> = {
  pending: "pending",
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  cancelled: "cancelled",
  timed_out: "timed-out",
};

/**
 * Registers the WebSocket routes (HTTP/1.1 upgrade), for browsers and tools:
 * `/v1/tasks/{id}/logs?offset=N&follow=true|false` sends the task's output as
 * `{"type":"lines","lines":[LogLine JSON...]}` frames, then `{"type":"end","task":Task}`
 * and closes with 1000; `/v1/events?queue=Q&task_id=ID&state=running&include_current=true`
 * sends `{"type":"task","current":bool,"task":Task}` frames until the client closes.
 * Upgrades from web pages of other origins than `allowedOrigins` get 403.
 */
export function registerWebSocketRoutes(app: FastifyInstance, deps: WebSocketRoutesDeps): void {
  const preValidation = [
    rejectForeignOrigins(deps.allowedOrigins),
    requirePermission("tasks.read", deps.routeAccess),
  ];
  app.get<{ Params: { id: string }; Querystring: Record<string, string | string[]> }>(
    "/v1/tasks/:id/logs",
    { websocket: true, preValidation },
    (socket, request) => {
      const offset = Number(single(request.query.offset) ?? "0");
      if (!Number.isInteger(offset) || offset < 0) {
        socket.close(webSocketCloseCodes.badRequest, "offset must be a non-negative integer");
        return;
      }
      const follow = single(request.query.follow) !== "false";
      const principal = request.principal as Principal;
      stream(socket, request.raw.socket, deps, principal, async (signal, send) => {
        checkCanSeeTask(principal, await deps.tasks.getTask(request.params.id));
        const batches = followTaskLogs(deps, { taskId: request.params.id, offset, follow, signal });
        for await (const lines of batches) {
          await send({
            type: "lines",
            lines: lines.map((line) => toJson(LogLineSchema, toLogLineMessage(line))),
          });
        }
        const task = await deps.tasks.getTask(request.params.id);
        await send({ type: "end", task: taskJsonFor(principal, task) });
      });
    },
  );

  app.get<{ Querystring: Record<string, string | string[]> }>(
    "/v1/events",
    { websocket: true, preValidation },
    (socket, request) => {
      const states = list(request.query.state).map((state) => taskStates[state.toLowerCase()]);
      if (states.some((state) => state === undefined)) {
        socket.close(
          webSocketCloseCodes.badRequest,
          `state must be one of ${Object.keys(taskStates).join(", ")}`,
        );
        return;
      }
      const principal = request.principal as Principal;
      stream(socket, request.raw.socket, deps, principal, async (signal, send) => {
        const events = watchTaskEvents(deps, {
          queue: single(request.query.queue) ?? "",
          taskIds: list(request.query.task_id),
          states: states as TaskState[],
          visibleQueues: visibleQueues(principal),
          includeCurrent: single(request.query.include_current) === "true",
          signal,
          bufferLimit: 10_000,
          onOverflow: () => new TooSlowError(),
        });
        for await (const event of events) {
          await send({
            type: "task",
            current: event.current,
            task: taskJsonFor(principal, event.task),
          });
        }
      });
    },
  );
}

class TooSlowError extends Error {}

function taskJsonFor(principal: Principal, task: Task) {
  return toJson(TaskSchema, toTaskMessage(task, !canSeeEnvValues(principal, task)));
}

/**
 * Runs `produce` for as long as the socket is open, sending JSON frames while
 * the caller's credential is still usable (a revoked token gets nothing more),
 * and closes the socket with the code matching how production ended.
 * `connection` is the socket's TCP (or TLS) connection.
 */
function stream(
  socket: WebSocket,
  connection: Socket,
  deps: WebSocketRoutesDeps,
  principal: Principal,
  produce: (signal: AbortSignal, send: (frame: object) => Promise<void>) => Promise<void>,
) {
  const controller = new AbortController();
  socket.on("close", () => controller.abort());
  const send = async (frame: object) => {
    await principal.checkStillUsable?.();
    if (socket.bufferedAmount > deps.bufferLimitBytes) {
      throw new TooSlowError();
    }
    socket.send(JSON.stringify(frame));
  };
  produce(controller.signal, send).then(
    () => socket.close(1000, "done"),
    (error: unknown) => {
      if (controller.signal.aborted) {
        return;
      }
      if (error instanceof TooSlowError) {
        closeTooSlow(socket, connection);
      } else if (error instanceof DomainError && error.kind === "not-found") {
        socket.close(webSocketCloseCodes.notFound, error.message);
      } else if (error instanceof ConnectError && error.code === Code.Unauthenticated) {
        socket.close(webSocketCloseCodes.unauthenticated, error.rawMessage.slice(0, 120));
      } else if (error instanceof ConnectError && error.code === Code.PermissionDenied) {
        socket.close(webSocketCloseCodes.forbidden, error.rawMessage.slice(0, 120));
      } else if (error instanceof DomainError || error instanceof ConnectError) {
        socket.close(webSocketCloseCodes.badRequest, error.message.slice(0, 120));
      } else {
        deps.logger.error({ err: error }, "WebSocket stream failed");
        socket.close(webSocketCloseCodes.internalError, "internal error");
      }
    },
  );
}

/**
 * Closes the socket of a client that reads too slowly with 4429, and resets
 * its connection if the close handshake has not completed within
 * webSocketCloseTimeoutMs. Ending it gracefully instead would leave a client
 * that stopped reading connected, with the unread frames in the kernel's send
 * buffer, for as long as it does not read.
 */
function closeTooSlow(socket: WebSocket, connection: Socket): void {
  socket.close(webSocketCloseCodes.tooSlow, "client too slow: buffer limit reached");
  const timer = setTimeout(() => {
    if (socket.readyState === socket.CLOSED) {
      return;
    }
    if (connection instanceof TLSSocket) {
      // A TLS connection cannot be reset (its handle is not the TCP one): end it.
      socket.terminate();
    } else {
      connection.resetAndDestroy();
    }
  }, webSocketCloseTimeoutMs);
  socket.once("close", () => clearTimeout(timer));
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) {
    return [];
  }
  return (Array.isArray(value) ? value : [value])
    .flatMap((item) => item.split(","))
    .filter((item) => item !== "");
}
