/**
 * A real API on a real, throw-away database (SQLite or PostgreSQL), driven through
 * `createCaller` exactly as the transports drive it. Nothing of ours is mocked.
 */
import { createScratchDatabase, openDatabase, UserSchema, type Database, type Dialect, type UserRole } from '@parley/db';
import { signToken } from '../src/auth/tokens.ts';
import {
  appRouter,
  createCallerFactory,
  createContextInner,
  DEFAULT_RATE_LIMITS,
  LocalEventBus,
  LocalPresence,
  InstanceMetrics,
  LiveStatsCollector,
  MemoryLiveStatsStore,
  type EventBus,
  MemoryRateLimitStore,
  RateLimiter,
  type ApiDeps,
  type Presence,
  type RateLimits,
  type RealtimeBackends,
} from '../src/index.ts';

const createCaller = createCallerFactory(appRouter);
export type Caller = ReturnType<typeof createCaller>;

export interface TestApi extends AsyncDisposable {
  deps: ApiDeps;
  db: Database;
  presence: Presence;
  /** A caller with no token. */
  anonymous: Caller;
  /** A caller presenting `token`, from `clientIp`. */
  as(token: string | null, clientIp?: string): Caller;
  /** The deps of another server instance on the same database, live through its own `realtime` (one Redis, say). */
  instance(realtime: RealtimeBackends): ApiDeps;
  /** Registers a user and returns a signed-in caller for them. */
  signUp(username: string, opts?: { displayName?: string; password?: string }): Promise<TestUser>;
  /**
   * Inserts a user straight into the database and issues a token exactly as a login does,
   * without hashing a password (scrypt costs 100+ ms a user): for tests that are not about
   * sign-up or sign-in. The account has no usable password.
   */
  seedUser(username: string, opts?: { displayName?: string; role?: UserRole }): Promise<TestUser>;
}

export interface TestUser {
  id: number;
  username: string;
  token: string;
  api: Caller;
}

const silentLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Rate limits high enough not to get in the way, unless a test asks for its own. */
const GENEROUS: RateLimits = Object.fromEntries(
  Object.entries(DEFAULT_RATE_LIMITS).map(([name, rule]) => [name, { ...rule, limit: 100_000 }]),
) as RateLimits;

export async function createTestApi(
  dialect: Dialect,
  opts: {
    rateLimits?: Partial<RateLimits>;
    admins?: string[];
    bus?: EventBus;
    /** Live fan-out and presence of this instance (closed by whoever made them); in process by default. */
    realtime?: RealtimeBackends;
    typingTtlMs?: number;
  } = {},
): Promise<TestApi> {
  const scratch = await createScratchDatabase(dialect);
  const db = await openDatabase(scratch.target);
  const presence = opts.realtime?.presence ?? new LocalPresence();
  const metrics = opts.realtime?.metrics ?? new InstanceMetrics({
      instanceId: 'api-test',
      localUsers: () => presence.localUserCount(),
      typingUsers: () => presence.localTypingUsers(),
    });
  const liveStats =
    opts.realtime?.liveStats ?? new LiveStatsCollector({ metrics, store: new MemoryLiveStatsStore(), onlineUsers: () => presence.onlineCount() });
  const deps: ApiDeps = {
    db,
    tokens: { secret: new TextEncoder().encode('test-secret-test-secret-test-secret!'), ttlSeconds: 3600 },
    rateLimiter: new RateLimiter(new MemoryRateLimitStore()),
    rateLimits: { ...GENEROUS, ...opts.rateLimits },
    presence,
    bus: opts.bus ?? opts.realtime?.bus ?? new LocalEventBus(),
    logger: silentLogger,
    admins: new Set(opts.admins ?? []),
    typingTtlMs: opts.typingTtlMs,
    metrics,
    liveStats,
  };
  const as = (token: string | null, clientIp = '127.0.0.1') => createCaller(createContextInner(deps, { token, clientIp }));
  return {
    deps,
    db,
    presence,
    anonymous: as(null),
    as,
    instance: ({ bus, presence: itsPresence, metrics: itsMetrics, liveStats: itsLiveStats }) => ({
      ...deps,
      bus,
      presence: itsPresence,
      metrics: itsMetrics,
      liveStats: itsLiveStats,
    }),
    async signUp(username, { displayName, password = 'correct horse battery' } = {}) {
      const { token, user } = await as(null).auth.register({ username, password, displayName });
      return { id: user.id, username: user.username, token, api: as(token) };
    },
    async seedUser(username, { displayName, role = 'user' } = {}) {
      const em = db.em.fork();
      // '!' is no scrypt hash: every login of this account fails like a wrong password.
      const user = em.create(UserSchema, { username, displayName: displayName ?? username, passwordHash: '!', role });
      await em.flush();
      const token = await signToken(deps.tokens, { userId: user.id, tokenVersion: user.tokenVersion });
      return { id: user.id, username, token, api: as(token) };
    },
    async [Symbol.asyncDispose]() {
      if (!opts.realtime) {
        await liveStats.close();
        metrics.close();
        await deps.bus.close();
      }
      await db.close();
      await scratch.drop();
    },
  };
}
