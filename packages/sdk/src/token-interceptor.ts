import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * A bearer token, or a function returning one that is called before every
 * call, so that a token that rotates or expires can be fetched anew.
 */
export type SherpaToken = string | (() => string | Promise<string>);

/**
 * Creates an interceptor that sends `authorization: Bearer <token>` with every
 * call. A call that already carries an `authorization` header (from its own
 * `headers` option) keeps it, and then a function token is not called.
 */
export function createTokenInterceptor(token: SherpaToken): Interceptor {
  return (next) => async (request) => {
    if (!request.header.has("authorization")) {
      request.header.set("authorization", `Bearer ${await currentToken(token)}`);
    }
    return next(request);
  };
}

async function currentToken(token: SherpaToken): Promise<string> {
  const value = typeof token === "function" ? await token() : token;
  // The value itself is never put in a message: it is a secret.
  if (typeof value !== "string" || value === "") {
    throw new ConnectError(
      'createSherpaClient: option "token" returned no token (an empty string or not a string)',
      Code.Unauthenticated,
    );
  }
  return value;
}
