import { EventEmitter } from "node:events";
import type { LogLine, Task } from "../domain/records.js";

/**
 * Fans task changes and new log lines out to the streams following them
 * (WatchTasks, StreamTaskLogs, WebSockets) within this server process.
 */
export interface TaskEventHub {
  /** Announces a task after a change of its state. */
  publishTask(task: Task): void;
  /** Announces lines just stored for a task. */
  publishLogLines(taskId: string, lines: LogLine[]): void;
  /** Calls `listener` for every task change; returns the unsubscribe function. */
  subscribeTasks(listener: (task: Task) => void): () => void;
  /** Calls `listener` for every batch of new lines of one task; returns the unsubscribe function. */
  subscribeLogLines(taskId: string, listener: (lines: LogLine[]) => void): () => void;
}

/** Creates an in-process event hub. */
export function createTaskEventHub(): TaskEventHub {
  const emitter = new EventEmitter();
  // Every watcher and log follower is a listener; their number is bounded by connections.
  emitter.setMaxListeners(0);
  const subscribe = <T>(event: string, listener: (value: T) => void) => {
    emitter.on(event, listener);
    return () => {
      emitter.off(event, listener);
    };
  };
  return {
    publishTask: (task) => emitter.emit("task", task),
    publishLogLines: (taskId, lines) => emitter.emit(`logs:${taskId}`, lines),
    subscribeTasks: (listener) => subscribe("task", listener),
    subscribeLogLines: (taskId, listener) => subscribe(`logs:${taskId}`, listener),
  };
}
