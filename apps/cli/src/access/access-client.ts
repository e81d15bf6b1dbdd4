import type { SherpaClient } from "@sherpa/sdk";

/** The SDK's client of sherpa.v1.AccessService. */
export type AccessClient = SherpaClient["accesss"];

/**
 * The AccessService client of `client`. The generated facade names the
 * property `accesss` (its generator pluralises service names by adding "s");
 * reading it here only keeps a fix of that name to one line.
 */
export function accessClient(client: SherpaClient): AccessClient {
  return client.accesss;
}
