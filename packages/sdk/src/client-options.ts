import type { Interceptor } from "@connectrpc/connect";
import { createHeadersInterceptor } from "./headers-interceptor.js";
import { createTokenInterceptor, type SherpaToken } from "./token-interceptor.js";

/** The wire protocol a client speaks: Connect, gRPC or gRPC-Web. */
export type SherpaProtocol = "connect" | "grpc" | "grpc-web";

/** The HTTP version a Node.js client uses. */
export type SherpaHttpVersion = "1.1" | "2";

/**
 * Options shared by the Node.js and browser clients; each entry point adds its own.
 */
export interface SherpaClientBaseOptions {
  /**
   * Where the Sherpa server listens, for example `https://sherpa.example.com`
   * or `http://localhost:8080`. Must be an http:// or https:// URL.
   */
  baseUrl: string;
  /** The wire protocol; "connect" unless set. */
  protocol?: SherpaProtocol;
  /**
   * The HTTP version: "2" for gRPC, which requires it, and "1.1" otherwise unless set.
   * An `http://` base URL with "2" uses cleartext HTTP/2 (h2c) with prior knowledge.
   */
  httpVersion?: SherpaHttpVersion;
  /**
   * Whether to send protobuf binary instead of JSON: false (JSON) for Connect and
   * true for gRPC and gRPC-Web unless set.
   */
  useBinaryFormat?: boolean;
  /**
   * Deadline of every call in milliseconds, 30 000 unless set; 0 for no deadline.
   * A call's own `timeoutMs` overrides it.
   */
  timeoutMs?: number;
  /**
   * The bearer token sent as `authorization: Bearer <token>` with every call,
   * or a function returning it, called before each call (so a token that
   * rotates works). An `authorization` header in a call's own options wins.
   * The Node.js entry point reads `SHERPA_TOKEN` when neither `token` nor an
   * `authorization` header in `headers` is given; the browser one does not.
   */
  token?: SherpaToken;
  /** Interceptors run on every call, the first one outermost. */
  interceptors?: Interceptor[];
  /**
   * Headers sent with every call, for example `{ "x-request-source": "nightly" }`.
   * A header given in a call's own options wins over one given here. Give the
   * bearer token as `token` rather than as an `authorization` header here.
   */
  // Spelled out instead of HeadersInit because that global exists only in the DOM lib.
  headers?: ConstructorParameters<typeof Headers>[0];
}

/** The options with every default filled in, ready to build a transport. */
export interface ResolvedClientOptions {
  /** The validated base URL, as given. */
  baseUrl: string;
  /** The wire protocol. */
  protocol: SherpaProtocol;
  /** The HTTP version (ignored by browsers, which negotiate it themselves). */
  httpVersion: SherpaHttpVersion;
  /** Whether messages are protobuf binary rather than JSON. */
  useBinaryFormat: boolean;
  /** The transport's default deadline; undefined for none. */
  defaultTimeoutMs: number | undefined;
  /** The interceptors: the one adding `headers`, then the one adding `token`, then the caller's. */
  interceptors: Interceptor[];
}

const protocols: readonly SherpaProtocol[] = ["connect", "grpc", "grpc-web"];
const httpVersions: readonly SherpaHttpVersion[] = ["1.1", "2"];
const defaultTimeoutMs = 30_000;

/**
 * Validates client options and fills in their defaults. Throws an Error naming
 * the option at fault, so that a misconfigured client fails when it is created
 * rather than on its first call. `fallbackToken` (the Node.js entry point's
 * `SHERPA_TOKEN`) is used when neither `token` nor an `authorization` header
 * is given.
 */
export function resolveClientOptions(
  options: SherpaClientBaseOptions,
  fallbackToken?: string,
): ResolvedClientOptions {
  const protocol = options.protocol ?? "connect";
  if (!protocols.includes(protocol)) {
    throw new Error(
      `createSherpaClient: option "protocol" must be one of ${protocols.join(", ")}, got ${JSON.stringify(protocol)}`,
    );
  }
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new Error(
      `createSherpaClient: option "timeoutMs" must be a finite number >= 0 (0 for no deadline), got ${timeoutMs}`,
    );
  }
  const headers = options.headers === undefined ? [] : [createHeadersInterceptor(options.headers)];
  const token = resolveToken(options, fallbackToken);
  return {
    baseUrl: validateBaseUrl(options.baseUrl),
    protocol,
    httpVersion: resolveHttpVersion(protocol, options.httpVersion),
    useBinaryFormat: options.useBinaryFormat ?? protocol !== "connect",
    // connect-es treats a timeout of 0 as already expired, so "no deadline" must be undefined.
    defaultTimeoutMs: timeoutMs === 0 ? undefined : timeoutMs,
    interceptors: [
      ...headers,
      ...(token === undefined ? [] : [createTokenInterceptor(token)]),
      ...(options.interceptors ?? []),
    ],
  };
}

function resolveToken(
  options: SherpaClientBaseOptions,
  fallbackToken: string | undefined,
): SherpaToken | undefined {
  const { token } = options;
  const headerAuthorization = new Headers(options.headers).has("authorization");
  if (token === undefined) {
    return headerAuthorization || fallbackToken === "" ? undefined : fallbackToken;
  }
  // The token itself is left out of these messages: it is a secret.
  if (typeof token !== "function" && (typeof token !== "string" || token === "")) {
    throw new Error(
      'createSherpaClient: option "token" must be a non-empty string or a function returning one',
    );
  }
  if (headerAuthorization) {
    throw new Error(
      'createSherpaClient: options "token" and "headers" both set the authorization header; give only "token"',
    );
  }
  return token;
}

function validateBaseUrl(baseUrl: string): string {
  // URL.canParse would read better, but browsers before 2023 lack it.
  let scheme: string | undefined;
  try {
    scheme = new URL(baseUrl).protocol;
  } catch {
    scheme = undefined;
  }
  if (scheme !== "http:" && scheme !== "https:") {
    throw new Error(
      `createSherpaClient: option "baseUrl" must be an http:// or https:// URL, got ${JSON.stringify(baseUrl)}`,
    );
  }
  return baseUrl;
}

function resolveHttpVersion(
  protocol: SherpaProtocol,
  httpVersion: SherpaHttpVersion | undefined,
): SherpaHttpVersion {
  if (httpVersion !== undefined && !httpVersions.includes(httpVersion)) {
    throw new Error(
      `createSherpaClient: option "httpVersion" must be "1.1" or "2", got ${JSON.stringify(httpVersion)}`,
    );
  }
  if (protocol === "grpc" && httpVersion === "1.1") {
    throw new Error(
      'createSherpaClient: option "httpVersion" cannot be "1.1" with protocol "grpc", which requires HTTP/2; use "2" or protocol "grpc-web"',
    );
  }
  return httpVersion ?? (protocol === "grpc" ? "2" : "1.1");
}
