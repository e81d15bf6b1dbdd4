import { Code, ConnectError } from "@connectrpc/connect";
import { type AsyncQueue, createAsyncQueue } from "@sherpa/kit";
import type { Task } from "../domain/records.js";

/** What the server tells a connected agent. */
export type AgentCommand =
  | { kind: "assign"; task: Task; gpuIndices: number[] }
  | { kind: "cancel"; taskId: string; reason: string };

/** The outbox of one agent session. */
export type AgentOutbox = AsyncQueue<AgentCommand>;

/** Most commands waiting for one agent before its session is ended as stuck. */
const outboxLimit = 10_000;

/**
 * The agents connected to this server process, one session per node, and a
 * way to send each of them commands.
 */
export interface AgentSessions {
  /** Opens the session of a node, ending an older session of the same node. */
  open(nodeName: string): AgentOutbox;
  /** Forgets a session if it is still the node's current one. */
  close(nodeName: string, outbox: AgentOutbox): void;
  /** Queues a command for a node; false when the node has no session. */
  send(nodeName: string, command: AgentCommand): boolean;
  /** Ends a node's open session, if any, with Unauthenticated and a reason. */
  disconnect(nodeName: string, reason: string): void;
  /** Names of the nodes with an open session. */
  connectedNodes(): ReadonlySet<string>;
  /** Ends every session, for shutdown. */
  closeAll(): void;
}

/** Creates the registry of agent sessions. */
export function createAgentSessions(): AgentSessions {
  const sessions = new Map<string, AgentOutbox>();
  return {
    open(nodeName) {
      sessions.get(nodeName)?.close();
      const outbox = createAsyncQueue<AgentCommand>(outboxLimit);
      sessions.set(nodeName, outbox);
      return outbox;
    },
    close(nodeName, outbox) {
      outbox.close();
      if (sessions.get(nodeName) === outbox) {
        sessions.delete(nodeName);
      }
    },
    send(nodeName, command) {
      const outbox = sessions.get(nodeName);
      if (outbox === undefined) {
        return false;
      }
      if (!outbox.push(command)) {
        outbox.close(new Error(`agent of node ${nodeName} is not reading its session`));
        sessions.delete(nodeName);
        return false;
      }
      return true;
    },
    disconnect(nodeName, reason) {
      sessions.get(nodeName)?.close(new ConnectError(reason, Code.Unauthenticated));
      sessions.delete(nodeName);
    },
    connectedNodes: () => new Set(sessions.keys()),
    closeAll() {
      for (const outbox of sessions.values()) {
        outbox.close();
      }
      sessions.clear();
    },
  };
}
