import { Code, type ConnectError } from "@connectrpc/connect";

/** How an admin makes a join token, for messages that send the operator to one. */
const joinTokenCommand = "`sherpa nodes join-token create`";

/**
 * The server refused the node (its join token or its credential) in a way
 * retrying cannot fix; main prints the message and exits with status 3.
 */
export class AgentRefusedError extends Error {
  override name = "AgentRefusedError";

  /** Refusal of the node's saved credential, on its session or another call. */
  static credentialRefused(error: ConnectError, credentialFile: string): AgentRefusedError {
    return new AgentRefusedError(
      `the server refused this node's credential (${Code[error.code]}: ${error.rawMessage}): it was revoked or belongs to another node. Delete ${credentialFile} and enroll the node again with a new join token (an admin creates one with ${joinTokenCommand}), passed as --join-token`,
    );
  }

  /** The refusal of an Enroll call, or undefined for an error worth retrying. */
  static enrollRefused(error: ConnectError, nodeName: string): AgentRefusedError | undefined {
    const why = `${Code[error.code]}: ${error.rawMessage}`;
    switch (error.code) {
      case Code.Unauthenticated:
      case Code.PermissionDenied:
        return new AgentRefusedError(
          `the server refused the join token (${why}): it is wrong, used or expired. Ask an admin for a new one (${joinTokenCommand}) and start again with it as --join-token`,
        );
      case Code.AlreadyExists:
        return new AgentRefusedError(
          `node "${nodeName}" is already enrolled (${why}). If this machine is that node, restore its credential.json; otherwise ask an admin to revoke that node's credential, or start with another --node-name`,
        );
      case Code.InvalidArgument:
        return new AgentRefusedError(
          `the server refused to enroll node "${nodeName}" (${why}); start with a --node-name it accepts`,
        );
      case Code.Unimplemented:
        return new AgentRefusedError(
          `the server cannot enroll nodes (${why}); it is older than this agent: upgrade it`,
        );
      default:
        return undefined;
    }
  }
}
