/**
 * The tRPC context, built the same way for HTTP requests and WebSocket connections.
 * Over a WebSocket it lives as long as the connection, so it holds no EntityManager:
 * the `withCall` middleware (trpc.ts) forks one per call.
 */
import type { Database, EntityManager, UserRow } from '@parley/db';
import type { TokenConfig, VerifiedClaims } from './auth/tokens.ts';
import type { RateLimits } from './limits.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { EventBus } from './realtime/bus.ts';
import type { InstanceMetrics } from './realtime/live-metrics.ts';
import type { LiveStatsCollector } from './realtime/live-stats.ts';
import type { Presence } from './realtime/presence.ts';

/** The slice of a pino logger the API uses. */
export interface ApiLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** Everything the API needs from the process that hosts it. */
export interface ApiDeps {
  db: Database;
  tokens: TokenConfig;
  rateLimiter: RateLimiter;
  rateLimits: RateLimits;
  presence: Presence;
  /** Live fan-out between instances; events go out only after their transaction commits. */
  bus: EventBus;
  logger: ApiLogger;
  /** Usernames that get the admin role when they register or sign in (PARLEY_ADMINS). */
  admins: ReadonlySet<string>;
  /** How long a typing signal lasts without a refresh; default TYPING_TTL_MS (tests shorten it). */
  typingTtlMs?: number;
  /** How far apart the inbox reads of one conversation start; default INBOX_READ_INTERVAL_MS (tests lengthen it). */
  inboxReadIntervalMs?: number;
  /** This instance's live figures: the API records sends, deliveries, typing and subscriptions in it. */
  metrics: InstanceMetrics;
  /** Every instance's live figures (admin.stats, admin.onStats). */
  liveStats: LiveStatsCollector;
}

export interface Context {
  deps: ApiDeps;
  /** The bearer token the client presented, if any; verified on every call. */
  token: string | null;
  /**
   * The token's claims once its signature was checked (one entry): a WebSocket's later calls
   * skip the signature (the same bytes verify the same way), not the expiry or the
   * tokenVersion. A Map because middlewares copy the context: the copies share it.
   */
  verifiedTokens: Map<string, VerifiedClaims>;
  /** The client's address, for per-IP rate limits. */
  clientIp: string;
  /**
   * Conversations this connection said it is typing in, so the server can clear them when
   * the connection closes. Lives as long as the context: a request, or a WebSocket.
   */
  typingIn: Set<number>;
  /** What this connection has running, for the per-connection caps. */
  inFlight: InFlight;
}

/**
 * Counts, not sets of slots: a WebSocket's context lives as long as the socket (two sets, and
 * a slot and a closure per subscription, cost an idle subscribed connection 0.4 KiB). One
 * object, so every copy a middleware makes of the context counts in it.
 */
export interface InFlight {
  /** Live subscriptions. */
  subscriptions: number;
  /** Queries and mutations running. */
  calls: number;
}

/**
 * Who a service acts for: a signed-in user with a per-call EntityManager. The tRPC context
 * of a signed-in procedure is one, so routers pass `ctx`; scripts and tests build their own.
 */
export interface Actor {
  em: EntityManager;
  deps: ApiDeps;
  user: UserRow;
}

/** The context without a transport: what tests and scripts use. */
export function createContextInner(deps: ApiDeps, opts: { token?: string | null; clientIp?: string } = {}): Context {
  return {
    deps,
    token: opts.token ?? null,
    clientIp: opts.clientIp ?? 'local',
    verifiedTokens: new Map(),
    typingIn: new Set(),
    inFlight: { subscriptions: 0, calls: 0 },
  };
}

/** Reads the token from `Authorization: Bearer …` (HTTP) or `connectionParams.token` (WebSocket). */
export function tokenFrom(authorization: string | undefined, connectionParams: unknown): string | null {
  if (authorization?.startsWith('Bearer ')) return authorization.slice('Bearer '.length).trim() || null;
  if (connectionParams && typeof connectionParams === 'object' && 'token' in connectionParams) {
    const { token } = connectionParams;
    return typeof token === 'string' && token.length > 0 && token.length < 4096 ? token : null;
  }
  return null;
}
