import { readFileSync, writeFileSync } from "node:fs";

/**
 * Responses Sherpa gave, which the peers send back unchanged: the same
 * message types and sizes, so that a ratio compares the cost of the stack,
 * not of the data. Messages are protobuf binary.
 */
export interface CannedResponses {
  /** A GetTaskResponse. */
  getTask: Uint8Array;
  /** The same GetTaskResponse as Connect JSON. */
  getTaskJson: unknown;
  /** A SubmitTaskResponse. */
  submitTask: Uint8Array;
  /** A grpc.health.v1.HealthCheckResponse, SERVING. */
  healthCheck: Uint8Array;
  /** A WatchTasksResponse. */
  watchTasks: Uint8Array;
  /** A StreamTaskLogsResponse: the first batch of lines Sherpa sent. */
  logBatch: Uint8Array;
  /** How many batches a log stream sends. */
  logBatches: number;
}

const binaryKeys = ["getTask", "submitTask", "healthCheck", "watchTasks", "logBatch"] as const;

/** Writes the responses as JSON, binary messages in base64. */
export function writeCannedResponses(file: string, canned: CannedResponses): void {
  const encoded: Record<string, unknown> = { ...canned };
  for (const key of binaryKeys) {
    encoded[key] = Buffer.from(canned[key]).toString("base64");
  }
  writeFileSync(file, JSON.stringify(encoded));
}

/** Reads what {@link writeCannedResponses} wrote. */
export function readCannedResponses(file: string): CannedResponses {
  const encoded = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const decoded: Record<string, unknown> = { ...encoded };
  for (const key of binaryKeys) {
    decoded[key] = Buffer.from(String(encoded[key]), "base64");
  }
  return decoded as unknown as CannedResponses;
}
