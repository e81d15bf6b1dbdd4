import { randomUUID } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import type { Principal } from "./principal.js";

/** One audited call: a mutating call, or any call that was refused. */
export interface AuditEntry {
  requestId: string;
  /** The caller; undefined when authentication failed. */
  principal: Principal | undefined;
  peer: string;
  userAgent: string;
  /** `package.Service/Method`, or the HTTP method and path of a non-RPC route. */
  rpc: string;
  /** What the call acted on, for example `{ task: "0b8d…" }`. */
  target: Record<string, string>;
  decision: "allow" | "deny";
  /** Why it was refused, or "" when allowed. */
  reason: string;
  /** The call's result code, for example "ok" or "permission_denied". */
  code: string;
}

/** Where audit lines go. */
export interface AuditLog {
  record(entry: AuditEntry): void;
  close(): void;
}

/**
 * Opens the audit log: one JSON line per entry, appended to `path` (created
 * with mode 0600), or written to stdout for `-`. Lines are written at once, so
 * a crash loses none. Never holds token secrets or env values: only the
 * principal's id, kind, subject and role are written.
 */
export function createAuditLog(path: string, now: () => Date = () => new Date()): AuditLog {
  const fd = path === "-" ? 1 : openSync(path, "a", 0o600);
  return {
    record(entry) {
      const line = {
        time: now().toISOString(),
        auditId: randomUUID(),
        requestId: entry.requestId,
        principal:
          entry.principal === undefined
            ? undefined
            : {
                id: entry.principal.id,
                kind: entry.principal.kind,
                subject: entry.principal.subject,
                role: entry.principal.role,
              },
        peer: entry.peer,
        userAgent: entry.userAgent,
        rpc: entry.rpc,
        target: entry.target,
        decision: entry.decision,
        reason: entry.reason,
        code: entry.code,
      };
      writeSync(fd, `${JSON.stringify(line)}\n`);
    },
    close() {
      if (fd !== 1) {
        closeSync(fd);
      }
    },
  };
}
