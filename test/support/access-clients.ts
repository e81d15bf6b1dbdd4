import type { Role } from "@sherpa/proto";
import { createSherpaClient, type SherpaClient, type SherpaProtocol } from "@sherpa/sdk";

/** The SDK's client of sherpa.v1.AccessService. */
export type AccessClient = SherpaClient["access"];

/**
 * The AccessService client of `client`. The SDK's generated facade once named
 * it `accesss` (its generator pluralised by appending "s"); this stays the one
 * place in these tests that spells the property.
 */
export function accessOf(client: SherpaClient): AccessClient {
  return client.access;
}

/** What {@link createTokenClient} makes a token for. */
export interface TokenClientOptions {
  /** The token's name, which is also its principal's subject. */
  name: string;
  role: Role;
  /** Queues it may use; every queue unless set. */
  queues?: string[];
  protocol?: SherpaProtocol;
}

/** A fresh API token and a client that sends it. */
export interface TokenClient {
  /** The whole token, `shp_<id>_<secret>`. */
  secret: string;
  /** Its public ID. */
  id: string;
  client: SherpaClient;
}

/** Has `admin` create an API token, and returns it with a client of `baseUrl` that sends it. */
export async function createTokenClient(
  admin: SherpaClient,
  baseUrl: string,
  options: TokenClientOptions,
): Promise<TokenClient> {
  const { secret, token } = await accessOf(admin).createToken({
    name: options.name,
    role: options.role,
    queues: options.queues ?? [],
  });
  return {
    secret,
    id: token?.id ?? "",
    client: createSherpaClient({
      baseUrl,
      protocol: options.protocol ?? "connect",
      token: secret,
      timeoutMs: 5000,
    }),
  };
}
