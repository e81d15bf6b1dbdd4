/** The unary cases, by id; see unary-cases.ts. */
export type UnaryCaseId =
  | "get-task-grpc"
  | "get-task-connect-proto"
  | "get-task-connect-json"
  | "health-check-grpc"
  | "submit-task-grpc";

/** What a server answers besides unary calls. */
export type StreamCaseId = "stream-task-logs" | "watch-tasks";

/** A server the benchmark drives, Sherpa or a peer, each in its own process. */
export interface ServerUnderTest {
  /** Its name in the table. */
  name: string;
  /** Its process, whose resident memory is measured. */
  pid: number;
  /** Base URL of its cleartext HTTP/2 (h2c) port, if it has one. */
  h2Url: string | undefined;
  /** Base URL of its HTTP/1.1 port, if it has one. */
  h1Url: string | undefined;
  /** Headers every call carries: Sherpa's admin credential, which peers ignore. */
  headers: Record<string, string>;
  /** The cases it answers. */
  serves: ReadonlySet<UnaryCaseId | StreamCaseId>;
  /**
   * Calls of `method` that ended with a status other than OK so far, as the
   * server counts them; undefined when it does not count.
   */
  failedCalls(method: string): Promise<number | undefined>;
  /** Ends its process. */
  stop(): Promise<void>;
}
