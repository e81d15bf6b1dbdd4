/** The token the CLI sends as `authorization: Bearer TOKEN`, and where it was found. */
export interface Credential {
  /** The secret itself; never printed. */
  readonly token: string;
  /** Where it came from, for messages: "--token", "SHERPA_TOKEN", "the profile PATH"... */
  readonly source: string;
}

// What an HTTP header value may hold, and a token is one word of it.
const tokenPattern = /^[\x21-\x7e]+$/;

/**
 * Makes a credential of `text`, trimmed. Throws an Error naming `source`, but
 * not the text, when it is empty or has spaces or control characters, which
 * no token has and no header could carry.
 */
export function createCredential(text: string, source: string): Credential {
  const token = text.trim();
  if (token === "") {
    throw new Error(`the token from ${source} is empty`);
  }
  if (!tokenPattern.test(token)) {
    throw new Error(
      `the token from ${source} has spaces or control characters; a token is one word, such as shp_...`,
    );
  }
  return { token, source };
}
