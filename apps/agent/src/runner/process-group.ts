import { setTimeout as sleep } from "node:timers/promises";

/**
 * Sends a signal (0 only checks) to every process of a process group. Returns
 * false when the group has no process left.
 */
export function signalProcessGroup(groupId: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-groupId, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ESRCH") {
      return false;
    }
    // EPERM: the group still has processes, just none this agent may signal (setuid programs).
    if (code === "EPERM") {
      return true;
    }
    throw error;
  }
}

/** Stops a process group: SIGTERM, then SIGKILL if it outlives the grace period. */
export interface ProcessGroupTerminator {
  /** Sends SIGTERM now (once) and arms the SIGKILL. */
  terminate(): void;
  /** Whether terminate() was called. */
  readonly terminating: boolean;
  /** Whether the group outlived the grace period and was sent SIGKILL. */
  readonly killed: boolean;
  /**
   * Resolves once the group has no process left (true) or after `limitMs`
   * (false). Orphaned members linger as zombies until init reaps them, which
   * is why this polls instead of trusting the leader's exit.
   */
  waitUntilGone(limitMs: number): Promise<boolean>;
  /** Clears the SIGKILL timer. */
  dispose(): void;
}

const pollIntervalMs = 25;

/** Creates a ProcessGroupTerminator for the group led by `groupId`. */
export function createProcessGroupTerminator(
  groupId: number,
  graceMs: number,
): ProcessGroupTerminator {
  let terminating = false;
  let killed = false;
  let killTimer: NodeJS.Timeout | undefined;
  return {
    get terminating() {
      return terminating;
    },
    get killed() {
      return killed;
    },
    terminate() {
      if (terminating) {
        return;
      }
      terminating = true;
      if (!signalProcessGroup(groupId, "SIGTERM")) {
        return;
      }
      killTimer = setTimeout(() => {
        killed = signalProcessGroup(groupId, "SIGKILL");
      }, graceMs);
    },
    async waitUntilGone(limitMs) {
      const deadline = Date.now() + limitMs;
      while (signalProcessGroup(groupId, 0)) {
        if (Date.now() >= deadline) {
          return false;
        }
        await sleep(pollIntervalMs);
      }
      clearTimeout(killTimer);
      return true;
    },
    dispose() {
      clearTimeout(killTimer);
    },
  };
}
