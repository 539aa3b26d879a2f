/**
 * Realtime backends for tests: in process always, Redis when PARLEY_TEST_REDIS_URL points
 * at one (scripts/test-services.sh starts it). Test files share that Redis and run in
 * parallel, so each file gets its own namespace for keys and channels.
 */
import { randomBytes } from 'node:crypto';
import { createRealtimeBackends, type RealtimeBackends, type RealtimeLogger } from '../src/index.ts';

export type BackendKind = RealtimeBackends['kind'];

/** The Redis server tests may use, or undefined when none is configured. */
export function testRedisUrl(): string | undefined {
  return process.env.PARLEY_TEST_REDIS_URL || undefined;
}

let warnedNoRedis = false;

/**
 * The bus kinds realtime tests run on: in process always, Redis when PARLEY_TEST_REDIS_URL
 * is set. In CI a missing Redis is an error, not a skip.
 */
export function testBusKinds(): BackendKind[] {
  if (testRedisUrl()) return ['local', 'redis'];
  if (process.env.CI) throw new Error('CI must run the Redis tests: PARLEY_TEST_REDIS_URL is not set');
  if (!warnedNoRedis) {
    warnedNoRedis = true;
    console.warn('Redis tests NOT RUN: set PARLEY_TEST_REDIS_URL (eval "$(scripts/test-services.sh)")');
  }
  return ['local'];
}

/** A namespace no other test file (or earlier run) uses. */
export function newTestNamespace(): string {
  return `parley-test:${randomBytes(6).toString('hex')}:`;
}

/** This file's namespace: backends created in one test file share it, like instances of one deployment. */
const fileNamespace = newTestNamespace();

export interface TestBackendsOptions {
  logger?: RealtimeLogger;
  /** Defaults to this test file's namespace. */
  namespace?: string;
  instanceId?: string;
  presenceTtlMs?: number;
  presenceRefreshMs?: number;
}

export type TestBackends = RealtimeBackends & AsyncDisposable;

/**
 * Backends of one instance. Two made with the same namespace behave like two server
 * instances sharing one Redis (kind 'redis'); in process each is on its own.
 */
export async function createTestBackends(kind: BackendKind, options: TestBackendsOptions = {}): Promise<TestBackends> {
  const redisUrl = kind === 'redis' ? testRedisUrl() : undefined;
  if (kind === 'redis' && !redisUrl) throw new Error('PARLEY_TEST_REDIS_URL is not set (run scripts/test-services.sh)');
  const backends = await createRealtimeBackends({
    redisUrl,
    logger: options.logger ?? captureLogger().logger,
    instanceId: options.instanceId,
    redisPrefix: options.namespace ?? fileNamespace,
    presenceTtlMs: options.presenceTtlMs,
    presenceRefreshMs: options.presenceRefreshMs,
  });
  return Object.assign(backends, { [Symbol.asyncDispose]: () => backends.close() });
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  message: string;
  details: object;
}

/** A logger that keeps what it is told, for assertions (and keeps test output quiet). */
export function captureLogger(): { logger: RealtimeLogger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const record = (level: LogEntry['level']) => (details: object, message: string) => {
    entries.push({ level, message, details });
  };
  return { logger: { info: record('info'), warn: record('warn'), error: record('error') }, entries };
}
