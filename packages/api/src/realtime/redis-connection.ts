/**
 * Redis connections for the realtime backends: bounded commands (an outage makes a command
 * fail fast instead of queueing or hanging), reconnection with backoff forever, and one log
 * line when Redis is lost and one when it is back, however many connections and messages
 * the outage touches.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';

/** The slice of a pino logger the realtime backends use. */
export interface RealtimeLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface RedisConnectionOptions {
  /** A command without a reply after this long fails (Redis hung, or the network dropped silently). */
  commandTimeoutMs?: number;
  /** The longest wait between two reconnection attempts (the backoff doubles up to it). */
  reconnectMaxDelayMs?: number;
  /** How long connecting may take at start before it counts as unreachable. */
  connectTimeoutMs?: number;
}

const DEFAULTS = { commandTimeoutMs: 2_000, reconnectMaxDelayMs: 5_000, connectTimeoutMs: 5_000 };

/** `redis://user:secret@host:port/db` without its credentials, for logs and errors. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable Redis URL)';
  }
}

/**
 * Tracks the connections of one instance, so an outage is logged once (when the first of
 * them drops) and its end once (when the last of them is back), not per connection,
 * reconnection attempt or message.
 */
export class RedisHealth {
  readonly #logger: RealtimeLogger;
  readonly #down = new Set<string>();
  /** The latest connection error seen, reported with the outage (ECONNREFUSED, ETIMEDOUT…). */
  #lastError: string | undefined;
  /** When each kind of command failure was last logged. */
  readonly #failureLoggedAt = new Map<string, number>();

  constructor(logger: RealtimeLogger) {
    this.#logger = logger;
  }

  get healthy(): boolean {
    return this.#down.size === 0;
  }

  error(error: Error): void {
    this.#lastError = error.message;
  }

  lost(connection: string): void {
    const wasHealthy = this.healthy;
    this.#down.add(connection);
    if (wasHealthy) {
      this.#logger.warn(
        { connection, error: this.#lastError },
        'Redis connection lost: live delivery paused, retrying in the background (subscribers repair from the database when it is back)',
      );
    }
  }

  restored(connection: string): void {
    if (!this.#down.delete(connection) || !this.healthy) return;
    this.#lastError = undefined;
    this.#logger.info({ connection }, 'Redis connection restored: live delivery resumed');
  }

  /**
   * A command failed. A lost connection is the outage's to report (once, above); what is
   * news is Redis refusing a command (a ReplyError: OOM, a script error) or not answering
   * in time while connected. Those are logged at most once a minute per kind, not per call.
   */
  commandFailed(operation: string, error: unknown): void {
    if (!(error instanceof Error)) return;
    const refused = error.name === 'ReplyError';
    const kind = refused ? `refused:${error.message.split(' ')[0] ?? ''}` : error.message === 'Command timed out' ? 'timeout' : null;
    if (!kind) return;
    const now = Date.now();
    const loggedAt = this.#failureLoggedAt.get(kind);
    if (loggedAt !== undefined && now - loggedAt < 60_000) return;
    if (this.#failureLoggedAt.size > 100) this.#failureLoggedAt.clear();
    this.#failureLoggedAt.set(kind, now);
    this.#logger.warn(
      { operation, error: error.message },
      refused ? 'Redis refused a command (logged at most once a minute)' : 'Redis did not answer in time (logged at most once a minute)',
    );
  }
}

/**
 * Opens a connection and waits until it is ready; rejects with a clear error (and gives up)
 * when Redis cannot be reached within `connectTimeoutMs`. After that, a lost connection
 * reconnects forever with capped exponential backoff and jitter, reporting to `health`.
 */
export async function connectRedis(
  url: string,
  name: string,
  health: RedisHealth,
  options: RedisConnectionOptions = {},
): Promise<Redis> {
  const { commandTimeoutMs, reconnectMaxDelayMs, connectTimeoutMs } = { ...DEFAULTS, ...options };
  const redis = new Redis(url, {
    lazyConnect: true,
    connectionName: name,
    connectTimeout: connectTimeoutMs,
    commandTimeout: commandTimeoutMs,
    // While Redis is away a command fails at once rather than waiting in a queue: callers
    // fall back (publish: gap repair; presence and rate limits: this instance's view).
    enableOfflineQueue: false,
    // A command in flight when the connection drops fails now, and is not sent again later.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // Subscriptions are restored by RedisEventBus itself, so it knows when they are back.
    autoResubscribe: false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 16), reconnectMaxDelayMs) + Math.floor(Math.random() * 100),
  });

  let wasReady = false;
  // Without an 'error' listener ioredis prints every failed reconnection attempt.
  redis.on('error', (error: Error) => health.error(error));
  redis.on('close', () => {
    // 'end' follows a close we asked for (quit/disconnect); anything else is an outage.
    if (wasReady && redis.status !== 'end') health.lost(name);
  });
  redis.on('ready', () => {
    wasReady = true;
    health.restored(name);
  });

  let firstError: Error | undefined;
  const recordFirstError = (error: Error) => {
    firstError ??= error;
  };
  redis.on('error', recordFirstError);
  try {
    await withTimeout(redis.connect(), connectTimeoutMs + 1_000);
  } catch (error) {
    redis.disconnect();
    // The first connection error says why (ECONNREFUSED, ENOTFOUND); `error` only that it closed.
    const why = firstError ?? error;
    const reason = why instanceof Error ? why.message : String(why);
    throw new Error(`Redis at ${redactRedisUrl(url)} is unreachable (${reason})`, { cause: error });
  } finally {
    redis.off('error', recordFirstError);
  }
  return redis;
}

/** Closes a connection politely (QUIT), or at once when Redis does not answer. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A Lua script called by its SHA1 (EVALSHA), so Redis neither receives nor hashes its text
 * on every call. The text goes only when Redis does not know the script (NOSCRIPT: its
 * first use, or a Redis restarted or flushed since), and EVAL caches it again.
 */
export class RedisScript {
  readonly #text: string;
  readonly #sha: string;

  constructor(text: string) {
    this.#text = text;
    this.#sha = createHash('sha1').update(text).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[] = []): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      return redis.eval(this.#text, keys.length, ...keys, ...args);
    }
  }
}
