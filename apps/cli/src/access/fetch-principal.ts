import type { Principal } from "@sherpa/proto";
import { Code, ConnectError, type SherpaClient } from "@sherpa/sdk";

/** Asks WhoAmI who `client`'s token is; a response without a principal is an Internal error. */
export async function fetchPrincipal(
  client: SherpaClient,
  signal: AbortSignal,
): Promise<Principal> {
  const { principal } = await client.access.whoAmI({}, { signal });
  if (principal === undefined) {
    throw new ConnectError("the server returned no principal", Code.Internal);
  }
  return principal;
}
