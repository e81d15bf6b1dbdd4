import { ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "@sherpa/proto/google/rpc/error_details_pb.js";

/**
 * The error a call fails with: a unary call's promise, or a server stream,
 * read until its first message. Throws when the call succeeds (for a stream:
 * when a first message arrives or the stream ends cleanly), so that a test
 * expecting a refusal cannot pass on an accepted call.
 */
export async function rpcErrorOf(
  call: Promise<unknown> | AsyncIterable<unknown>,
): Promise<ConnectError> {
  try {
    if (Symbol.asyncIterator in call) {
      for await (const message of call) {
        throw new Error(`the stream was accepted: it sent ${JSON.stringify(message, bigints)}`);
      }
      throw new Error("the stream was accepted: it ended without an error");
    }
    const response = await call;
    throw new Error(`the call was accepted: it returned ${JSON.stringify(response, bigints)}`);
  } catch (caught) {
    if (caught instanceof ConnectError) {
      return caught;
    }
    throw caught;
  }
}

function bigints(_key: string, value: unknown) {
  return typeof value === "bigint" ? String(value) : value;
}

/**
 * The reason of a refusal's google.rpc.ErrorInfo detail in Sherpa's domain
 * (`sherpa.dev`), which programs branch on; undefined when there is none.
 */
export function reasonOf(error: ConnectError): string | undefined {
  return error.findDetails(ErrorInfoSchema).find((info) => info.domain === "sherpa.dev")?.reason;
}
