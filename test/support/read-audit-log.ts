import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** One line of the server's audit log, as it writes it. */
export interface AuditLine {
  time: string;
  requestId: string;
  /** Absent when the caller was not authenticated. */
  principal?: { id: string; kind: string; subject: string; role?: string };
  peer: string;
  userAgent: string;
  rpc: string;
  target: Record<string, string>;
  decision: "allow" | "deny";
  reason: string;
  code: string;
}

/** The audit log's path: `<dataDir>/audit.log` unless SHERPA_AUDIT_LOG says otherwise. */
export function auditLogPath(dataDir: string): string {
  return join(dataDir, "audit.log");
}

/** The audit log's whole text; "" before the first line is written. */
export async function readAuditText(dataDir: string): Promise<string> {
  return readFile(auditLogPath(dataDir), "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") {
      return "";
    }
    throw error;
  });
}

/** Every line of the audit log, oldest first; throws on a line that is not JSON. */
export async function readAuditLog(dataDir: string): Promise<AuditLine[]> {
  const text = await readAuditText(dataDir);
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as AuditLine);
}
