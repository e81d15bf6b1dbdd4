import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { EnrollRequest, EnrollResponseSchema } from "@sherpa/proto";
import { callerOf } from "../access/principal-context.js";
import { newToken } from "../access/secret-token.js";
import type { CredentialStore } from "../storage/credential-store.js";
import { reasonedError } from "./reasoned-error.js";

/** What enrolling a node needs. */
export interface EnrollNodeDeps {
  credentials: CredentialStore;
  now: () => Date;
  /** The embedded agent's node name, which no enrolled node may take; "" when there is none. */
  embeddedNodeName: string;
}

const nodeNamePattern = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

/**
 * AgentService.Enroll: exchanges the caller's join token for a credential of
 * the node it names, carrying the join token's labels.
 */
export async function enrollNode(
  deps: EnrollNodeDeps,
  request: EnrollRequest,
  context: HandlerContext,
): Promise<MessageInitShape<typeof EnrollResponseSchema>> {
  const caller = callerOf(context);
  const nodeName = request.nodeName;
  if (!nodeNamePattern.test(nodeName)) {
    throw new ConnectError(
      `node_name "${nodeName}" is not valid: use 1 to 63 letters, digits, ".", "_" or "-", starting and ending with a letter or digit`,
      Code.InvalidArgument,
    );
  }
  if (nodeName === deps.embeddedNodeName) {
    throw reasonedError(
      `node "${nodeName}" is the server's embedded agent; enroll under another name`,
      Code.AlreadyExists,
      "NODE_NAME_RESERVED",
    );
  }
  const token = newToken("node");
  const stored = await deps.credentials.enrollNode(
    caller.id,
    {
      id: token.id,
      kind: "node",
      name: nodeName,
      role: undefined,
      queues: [],
      labels: caller.labels,
      secretHash: token.secretHash,
      createdBy: caller.subject,
      expireTime: undefined,
    },
    deps.now(),
  );
  return { credential: token.text, nodeName: stored.name, labels: stored.labels };
}
