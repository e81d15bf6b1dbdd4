import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type Duration, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  type AccessService,
  type CreateJoinTokenRequest,
  type CreateTokenRequest,
  type ListTokensRequest,
  type Principal,
  PrincipalKind,
  PrincipalSchema,
  Role,
  type Token,
  TokenKind,
  TokenSchema,
} from "@sherpa/proto";
import { testNowMs } from "./run-captured.js";

/** A token the fake server holds, with its secret. */
export interface FakeTokenInit {
  /** What it is. */
  readonly token: MessageInitShape<typeof TokenSchema>;
  /** Its secret, to send as `authorization: Bearer SECRET`; none for a token nobody can call with. */
  readonly secret?: string;
}

/** An AccessService for CLI tests, and what it was asked. */
export interface FakeAccessService {
  /** The handlers: `router.service(AccessService, fake.service)`. */
  readonly service: ServiceImpl<typeof AccessService>;
  /** The tokens it holds, newest first, as ListTokens serves them. */
  readonly tokens: readonly Token[];
  /** Requests of the methods that take arguments, in order. */
  readonly requests: {
    readonly createToken: CreateTokenRequest[];
    readonly listTokens: ListTokensRequest[];
    readonly createJoinToken: CreateJoinTokenRequest[];
  };
}

/**
 * Creates an AccessService that behaves like the real one for the CLI's
 * purposes: callers are the API tokens in `tokens` whose secret they send,
 * every method but WhoAmI needs role ADMIN, created tokens can be called with
 * at once, and revoked or expired ones are refused. Time stands at `testNowMs`.
 */
export function createFakeAccessService(tokens: readonly FakeTokenInit[]): FakeAccessService {
  const held: Token[] = [];
  const secrets = new Map<string, Token>();
  const hold = ({ token, secret }: FakeTokenInit): Token => {
    const message = create(TokenSchema, token);
    held.unshift(message);
    if (secret !== undefined) secrets.set(secret, message);
    return message;
  };
  for (const init of [...tokens].reverse()) hold(init);
  const requests: FakeAccessService["requests"] = {
    createToken: [],
    listTokens: [],
    createJoinToken: [],
  };
  let created = 0;
  const caller = (context: HandlerContext) => authenticate(secrets, context);
  const admin = (context: HandlerContext) => requireAdmin(caller(context));
  const service: ServiceImpl<typeof AccessService> = {
    whoAmI(_request, context) {
      return { principal: caller(context) };
    },
    createToken(request, context) {
      requests.createToken.push(request);
      const { subject } = admin(context);
      created += 1;
      const secret = `shp_created${created}secret`;
      const token = hold({
        secret,
        token: {
          id: `shp_created${created}`,
          kind: TokenKind.API,
          name: request.name,
          role: request.role,
          queues: request.queues,
          createdBy: subject,
          createTime: timestampFromMs(testNowMs),
          expireTime: request.ttl && timestampFromMs(testNowMs + durationMs(request.ttl)),
        },
      });
      return { secret, token };
    },
    listTokens(request, context) {
      requests.listTokens.push(request);
      admin(context);
      const matching = held.filter(
        (token) =>
          (request.kind === TokenKind.UNSPECIFIED || token.kind === request.kind) &&
          (request.includeInactive || isActive(token)),
      );
      // Pages of at most two tokens, to show that the CLI reads every page.
      const start = Number(request.pageToken || "0");
      const end = start + Math.min(request.pageSize || 100, 2);
      return {
        tokens: matching.slice(start, end),
        nextPageToken: end < matching.length ? String(end) : "",
      };
    },
    revokeToken(request, context) {
      admin(context);
      const token = held.find((each) => each.id === request.id);
      if (token === undefined) {
        throw new ConnectError(`token ${request.id} not found`, Code.NotFound);
      }
      token.revokeTime ??= timestampFromMs(testNowMs);
      return { token };
    },
    createJoinToken(request, context) {
      requests.createJoinToken.push(request);
      const { subject } = admin(context);
      created += 1;
      const secret = `shj_join${created}secret`;
      const token = hold({
        token: {
          id: `shj_join${created}`,
          kind: TokenKind.JOIN,
          labels: request.labels,
          createdBy: subject,
          createTime: timestampFromMs(testNowMs),
          expireTime: timestampFromMs(
            testNowMs + (request.ttl ? durationMs(request.ttl) : 3_600_000),
          ),
        },
      });
      return { secret, token };
    },
    revokeNodeCredential(request, context) {
      admin(context);
      const credential = held.find(
        (token) => token.kind === TokenKind.NODE && token.name === request.nodeName,
      );
      if (credential === undefined) {
        throw new ConnectError(`node ${request.nodeName} has no credential`, Code.NotFound);
      }
      credential.revokeTime ??= timestampFromMs(testNowMs);
      return { credential };
    },
  };
  return { service, tokens: held, requests };
}

function authenticate(secrets: ReadonlyMap<string, Token>, context: HandlerContext): Principal {
  const header = context.requestHeader.get("authorization");
  if (header === null) {
    throw new ConnectError(
      "missing credential: send authorization: Bearer TOKEN",
      Code.Unauthenticated,
    );
  }
  const token = secrets.get(header.replace(/^Bearer /, ""));
  if (token === undefined || !isActive(token)) {
    throw new ConnectError("unknown, revoked or expired token", Code.Unauthenticated);
  }
  return create(PrincipalSchema, {
    id: token.id,
    kind: PrincipalKind.TOKEN,
    subject: token.name,
    role: token.role,
    queues: token.queues,
    permissions: token.role === Role.ADMIN ? ["self.read", "access.manage"] : ["self.read"],
    expireTime: token.expireTime,
  });
}

function requireAdmin(principal: Principal): Principal {
  if (principal.role !== Role.ADMIN) {
    throw new ConnectError(
      `${principal.subject} may not manage access (needs access.manage)`,
      Code.PermissionDenied,
    );
  }
  return principal;
}

function isActive(token: Token): boolean {
  const expired = token.expireTime !== undefined && timestampMs(token.expireTime) <= testNowMs;
  return token.revokeTime === undefined && !expired;
}

function durationMs(duration: Duration): number {
  return Number(duration.seconds) * 1_000 + duration.nanos / 1e6;
}
