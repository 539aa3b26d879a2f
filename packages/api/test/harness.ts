/**
 * A real API on a real, throw-away database (SQLite or PostgreSQL), driven through
 * `createCaller` exactly as the transports drive it. Nothing of ours is mocked.
 */
import { createScratchDatabase, openDatabase, type Database, type Dialect } from '@parley/db';
import {
  appRouter,
  createCallerFactory,
  createContextInner,
  DEFAULT_RATE_LIMITS,
  LocalPresence,
  MemoryRateLimitStore,
  RateLimiter,
  type ApiDeps,
  type RateLimits,
} from '../src/index.ts';

const createCaller = createCallerFactory(appRouter);
export type Caller = ReturnType<typeof createCaller>;

export interface TestApi extends AsyncDisposable {
  deps: ApiDeps;
  db: Database;
  presence: LocalPresence;
  /** A caller with no token. */
  anonymous: Caller;
  /** A caller presenting `token`, from `clientIp`. */
  as(token: string | null, clientIp?: string): Caller;
  /** Registers a user and returns a signed-in caller for them. */
  signUp(username: string, opts?: { displayName?: string; password?: string }): Promise<TestUser>;
}

export interface TestUser {
  id: number;
  username: string;
  token: string;
  api: Caller;
}

/** Rate limits high enough not to get in the way, unless a test asks for its own. */
const GENEROUS: RateLimits = Object.fromEntries(
  Object.entries(DEFAULT_RATE_LIMITS).map(([name, rule]) => [name, { ...rule, limit: 100_000 }]),
) as RateLimits;

export async function createTestApi(
  dialect: Dialect,
  opts: { rateLimits?: Partial<RateLimits>; admins?: string[] } = {},
): Promise<TestApi> {
  const scratch = await createScratchDatabase(dialect);
  const db = await openDatabase(scratch.target);
  const presence = new LocalPresence();
  const deps: ApiDeps = {
    db,
    tokens: { secret: new TextEncoder().encode('test-secret-test-secret-test-secret!'), ttlSeconds: 3600 },
    rateLimiter: new RateLimiter(new MemoryRateLimitStore()),
    rateLimits: { ...GENEROUS, ...opts.rateLimits },
    presence,
    admins: new Set(opts.admins ?? []),
  };
  const as = (token: string | null, clientIp = '127.0.0.1') => createCaller(createContextInner(deps, { token, clientIp }));
  return {
    deps,
    db,
    presence,
    anonymous: as(null),
    as,
    async signUp(username, { displayName, password = 'correct horse battery' } = {}) {
      const { token, user } = await as(null).auth.register({ username, password, displayName });
      return { id: user.id, username: user.username, token, api: as(token) };
    },
    async [Symbol.asyncDispose]() {
      await db.close();
      await scratch.drop();
    },
  };
}
