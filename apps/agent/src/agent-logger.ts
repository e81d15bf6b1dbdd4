/**
 * The logging the agent needs: structured fields first, then the message. A
 * pino logger (the server's) fits as it is.
 */
export interface AgentLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** A logger that drops everything; the default when none is given. */
export const silentLogger: AgentLogger = {
  info() {},
  warn() {},
  error() {},
};
