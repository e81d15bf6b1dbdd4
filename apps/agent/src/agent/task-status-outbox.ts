import type { MessageInitShape } from "@bufbuild/protobuf";
import { TaskState, type TaskStatusReportSchema } from "@sherpa/proto";

/** A task status report as the agent sends it. */
export type TaskStatusReportInit = MessageInitShape<typeof TaskStatusReportSchema> & {
  taskId: string;
  state: TaskState;
};

/**
 * Task status reports waiting for a registered session. Reports are sent in
 * the order they were made; while the agent is disconnected they wait, and the
 * ones a dying session never sent come back to the front.
 */
export interface TaskStatusOutbox {
  /** Queues a report; it goes out at once if a session is attached. */
  add(report: TaskStatusReportInit): void;
  /** IDs of tasks whose final status is still waiting here. */
  endedTaskIds(): string[];
  /** Starts sending through `send`, which resolves false if the session can take no more. */
  attach(send: (report: TaskStatusReportInit) => Promise<boolean>): void;
  /** Stops sending; `unsent` (accepted by the session but never sent) go back first. */
  detach(unsent: TaskStatusReportInit[]): void;
  /** Resolves once nothing is being handed to a session. */
  idle(): Promise<void>;
  /** Reports not handed to a session yet. */
  pending(): readonly TaskStatusReportInit[];
}

/** Creates an empty TaskStatusOutbox. */
export function createTaskStatusOutbox(): TaskStatusOutbox {
  const reports: TaskStatusReportInit[] = [];
  let send: ((report: TaskStatusReportInit) => Promise<boolean>) | undefined;
  let pumping: Promise<void> | undefined;

  const pump = () => {
    if (pumping !== undefined || send === undefined) {
      return;
    }
    pumping = (async () => {
      for (let sender = send; sender !== undefined && reports.length > 0; sender = send) {
        const report = reports[0] as TaskStatusReportInit;
        if (!(await sender(report))) {
          // The session is closing; its detach() decides what happens next.
          return;
        }
        // By identity: a detach while the send was pending may have put reports in front.
        reports.splice(reports.indexOf(report), 1);
      }
    })().finally(() => {
      pumping = undefined;
    });
  };

  return {
    add(report) {
      reports.push(report);
      pump();
    },
    endedTaskIds() {
      return reports
        .filter((report) => report.state !== TaskState.RUNNING)
        .map((report) => report.taskId);
    },
    attach(newSend) {
      send = newSend;
      // A pump still finishing with the previous session stops at its refusal; start anew after it.
      void (pumping ?? Promise.resolve()).then(pump);
    },
    detach(unsent) {
      send = undefined;
      reports.unshift(...unsent);
    },
    async idle() {
      while (pumping !== undefined) {
        await pumping;
      }
    },
    pending() {
      return reports;
    },
  };
}
