import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, createRouterTransport } from "@connectrpc/connect";
import { createAsyncQueue } from "@sherpa/kit";
import {
  AgentService,
  type AgentSessionResponseSchema,
  type Heartbeat,
  type RegisterNode,
  type TaskStatusReport,
} from "@sherpa/proto";
import { createSherpaServiceClients } from "@sherpa/sdk";

type Response = MessageInitShape<typeof AgentSessionResponseSchema>;

/** Something the fake server received, in arrival order. */
export type ServerEvent =
  | { kind: "register"; session: number; value: RegisterNode }
  | { kind: "heartbeat"; session: number; value: Heartbeat }
  | { kind: "status"; session: number; value: TaskStatusReport }
  | { kind: "line"; taskId: string; stream: number; text: string }
  | { kind: "session-end"; session: number; how: "client closed" | "client aborted" };

/** Controls of one AgentSession call the fake server is serving. */
export interface FakeSession {
  send(response: Response): void;
  /** Ends the call with an error, as a crashing server would. */
  fail(): void;
}

/** Options of createFakeAgentService. */
export interface FakeAgentServiceOptions {
  heartbeatIntervalMs?: number;
  /**
   * Access control as the real server does it: Enroll takes `joinToken` (as
   * `authorization: Bearer`) once and answers with `credential`, which every
   * other call needs. Without it, Enroll is unimplemented and every call is let in
   * (unless `behaviour.revoked`).
   */
  access?: { joinToken: string; credential: string };
}

/**
 * A test double of the server side of AgentService, following the contract the
 * agent is written to: `registered` answers `register`, UploadTaskLogs stores
 * lines and answers once the stream ends. Unit tests only; the real server is
 * tested end to end in test/.
 */
export function createFakeAgentService(options: FakeAgentServiceOptions = {}) {
  const events: ServerEvent[] = [];
  const sessions: FakeSession[] = [];
  const enrolledNodes: string[] = [];
  const behaviour = { refuseSessions: false, failUploads: false, revoked: false };
  const { access } = options;
  const checkCredential = (header: Headers) => {
    const known =
      access === undefined || header.get("authorization") === `Bearer ${access.credential}`;
    if (behaviour.revoked || !known) {
      throw new ConnectError("unknown or revoked node credential", Code.Unauthenticated);
    }
  };
  const routes = (router: ConnectRouter) => {
    router.service(AgentService, {
      async enroll(request, context) {
        if (access === undefined) {
          throw new ConnectError("enrollment is not set up", Code.Unimplemented);
        }
        if (
          context.requestHeader.get("authorization") !== `Bearer ${access.joinToken}` ||
          enrolledNodes.length > 0
        ) {
          throw new ConnectError("join token is invalid, used or expired", Code.Unauthenticated);
        }
        enrolledNodes.push(request.nodeName);
        return { credential: access.credential, nodeName: request.nodeName, labels: {} };
      },
      async *agentSession(requests, context) {
        if (behaviour.refuseSessions) {
          throw new ConnectError("server is restarting", Code.Unavailable);
        }
        checkCredential(context.requestHeader);
        const session = sessions.length;
        const outgoing = createAsyncQueue<Response | Error>(100);
        sessions.push({
          send: (response) => outgoing.push(response),
          fail: () => outgoing.push(new ConnectError("server crashed", Code.Unavailable)),
        });
        void (async () => {
          try {
            for await (const request of requests) {
              const { message } = request;
              if (message.case === "register") {
                events.push({ kind: "register", session, value: message.value });
                outgoing.push({
                  message: {
                    case: "registered",
                    value: {
                      heartbeatInterval: durationFromMs(options.heartbeatIntervalMs ?? 10_000),
                    },
                  },
                });
              } else if (message.case === "heartbeat") {
                events.push({ kind: "heartbeat", session, value: message.value });
              } else if (message.case === "taskStatus") {
                events.push({ kind: "status", session, value: message.value });
              }
            }
            events.push({ kind: "session-end", session, how: "client closed" });
          } catch {
            events.push({ kind: "session-end", session, how: "client aborted" });
          }
          outgoing.close();
        })();
        for await (const response of outgoing) {
          if (response instanceof Error) {
            throw response;
          }
          yield response;
        }
      },
      async uploadTaskLogs(requests, context) {
        checkCredential(context.requestHeader);
        let linesStored = 0n;
        for await (const request of requests) {
          if (behaviour.failUploads) {
            throw new ConnectError("log storage is down", Code.Unavailable);
          }
          for (const line of request.lines) {
            events.push({
              kind: "line",
              taskId: request.taskId,
              stream: line.stream,
              text: line.text,
            });
            linesStored++;
          }
        }
        return { linesStored };
      },
    });
  };
  return {
    /** The service's routes, to serve over HTTP/2 as well. */
    routes,
    /** SDK clients calling the service in memory. */
    clients: createSherpaServiceClients(createRouterTransport(routes)),
    events,
    sessions,
    behaviour,
    /** Names of the nodes that enrolled, in order. */
    enrolledNodes,
    statuses: (taskId: string) =>
      events.flatMap((event) =>
        event.kind === "status" && event.value.taskId === taskId ? [event.value] : [],
      ),
    registrations: () =>
      events.flatMap((event) => (event.kind === "register" ? [event.value] : [])),
  };
}
