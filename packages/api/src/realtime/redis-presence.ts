/**
 * Presence shared by every instance through Redis. Per user, a sorted set
 * `<prefix>presence:<userId>` holds one member per instance where the user has a socket,
 * scored with the time it expires (Redis' clock, so instances need not agree on theirs).
 * The sorted set `<prefix>online-users` holds every online user, scored with the expiry of
 * their latest claim, so the number of users online anywhere is one ZCARD.
 * Each instance keeps its own socket counts, refreshes its members every `refreshMs` and
 * removes itself when a user's last local socket closes. An instance that dies stops
 * refreshing, so its members expire after `ttlMs` and are removed lazily.
 *
 * If Redis is unreachable, presence degrades to this instance's own sockets and is
 * written back in full as soon as the connection is ready again.
 *
 * Typing signals live the same way, one sorted set per conversation (setTyping); while
 * Redis is unreachable, a look-up answers with the signals made on this instance.
 */
import type { Redis } from 'ioredis';
import { TypingTracker } from './live-metrics.ts';
import { SocketCounts, type Presence } from './presence.ts';
import { RedisScript, type RedisHealth } from './redis-connection.ts';

export interface RedisPresenceOptions {
  /** A command connection; shared, not owned (close() leaves it open). */
  redis: Redis;
  /** Unique among the instances sharing the Redis. */
  instanceId: string;
  /** Reports failed commands (an outage itself is reported by the connection). */
  health: RedisHealth;
  /** Prepended to every key. */
  keyPrefix?: string;
  /** How long an instance's claim lasts without a refresh. */
  ttlMs?: number;
  /** How often claims are refreshed; well below ttlMs. */
  refreshMs?: number;
}

export const PRESENCE_TTL_MS = 30_000;
export const PRESENCE_REFRESH_MS = 10_000;
/** Keys per script call, so no single call blocks Redis for long. */
const KEYS_PER_CALL = 500;

/** Redis' clock in milliseconds, inside a script. */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Claims (or extends) this instance's member; the key lives as long as its latest member.
 * The user's entry in the online set (`online`, scored like the key) follows, so counting
 * who is online anywhere is one ZCOUNT, not a scan of every user's key.
 */
const CLAIM = `
redis.call('ZADD', key, now + ttl, ARGV[1])
local latest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', key, latest[2])
redis.call('ZADD', online, latest[2], user)
local last = redis.call('ZRANGE', online, -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', online, last[2])`;

/** KEYS[1] the user's set, KEYS[2] the online set; ARGV instanceId, ttlMs, userId. Returns the live members of other instances. */
const CONNECT_SCRIPT = new RedisScript(`${NOW}
local key, online, ttl, user = KEYS[1], KEYS[2], tonumber(ARGV[2]), ARGV[3]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
local others = redis.call('ZCARD', key)
if redis.call('ZSCORE', key, ARGV[1]) then others = others - 1 end
${CLAIM}
return others`);

/** KEYS[1] the user's set, KEYS[2] the online set; ARGV instanceId, userId. Returns the live members left. */
const DISCONNECT_SCRIPT = new RedisScript(`${NOW}
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local left = redis.call('ZCARD', KEYS[1])
if left == 0 then
  redis.call('ZREM', KEYS[2], ARGV[2])
else
  local latest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('ZADD', KEYS[2], latest[2], ARGV[2])
end
return left`);

/** KEYS[1] the online set, then the users' sets; ARGV instanceId, ttlMs, then the users' ids in KEYS' order. */
const REFRESH_SCRIPT = new RedisScript(`${NOW}
local online, ttl = KEYS[1], tonumber(ARGV[2])
for i = 2, #KEYS do
  local key, user = KEYS[i], ARGV[i + 1]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  ${CLAIM}
end
return #KEYS - 1`);

/** KEYS[1] the online set. Returns how many users are online on any instance. */
const ONLINE_COUNT_SCRIPT = new RedisScript(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])`);

/** KEYS the users' sets. Returns, per key, how many members are live. */
const ONLINE_SCRIPT = new RedisScript(`${NOW}
local online = {}
for i, key in ipairs(KEYS) do online[i] = redis.call('ZCOUNT', key, '(' .. now, '+inf') end
return online`);

/** KEYS[1] the conversation's typing set; ARGV userId, ttlMs. The key lives as long as its latest signal. */
const TYPING_SCRIPT = new RedisScript(`${NOW}
local key = KEYS[1]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
redis.call('ZADD', key, now + tonumber(ARGV[2]), ARGV[1])
local latest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', key, latest[2])`);

/** KEYS[1] the conversation's typing set. Returns its live signals: userId, milliseconds left, userId… */
const TYPING_IN_SCRIPT = new RedisScript(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local typing = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 2, #typing, 2 do typing[i] = tonumber(typing[i]) - now end
return typing`);

export class RedisPresence implements Presence {
  readonly #redis: Redis;
  readonly #instanceId: string;
  readonly #health: RedisHealth;
  readonly #keyPrefix: string;
  readonly #ttlMs: number;
  readonly #sockets = new SocketCounts();
  /** The typing signals made on this instance, which a message's send may have to end in Redis. */
  readonly #typingHere = new TypingTracker();
  readonly #timer: NodeJS.Timeout;
  readonly #onReady = () => this.#refresh();

  constructor(options: RedisPresenceOptions) {
    const ttlMs = options.ttlMs ?? PRESENCE_TTL_MS;
    const refreshMs = options.refreshMs ?? PRESENCE_REFRESH_MS;
    if (!(refreshMs > 0 && refreshMs * 2 <= ttlMs)) {
      throw new Error(`presence refresh (${refreshMs} ms) must be positive and at most half the TTL (${ttlMs} ms)`);
    }
    this.#redis = options.redis;
    this.#instanceId = options.instanceId;
    this.#health = options.health;
    this.#keyPrefix = options.keyPrefix ?? 'parley:';
    this.#ttlMs = ttlMs;
    this.#timer = setInterval(() => this.#refresh(), refreshMs);
    // The server does not stay up for presence alone.
    this.#timer.unref();
    // Back from an outage: claim every local user again at once (their entries may have expired).
    this.#redis.on('ready', this.#onReady);
  }

  async connected(userId: number): Promise<boolean> {
    if (!this.#sockets.add(userId)) return false;
    try {
      const others = await CONNECT_SCRIPT.run(this.#redis, [this.#key(userId), this.#onlineKey], [this.#instanceId, this.#ttlMs, userId]);
      return others === 0;
    } catch (error) {
      this.#failed(error, 'connect');
      return true;
    }
  }

  async disconnected(userId: number): Promise<boolean> {
    if (!this.#sockets.remove(userId)) return false;
    try {
      const remaining = await DISCONNECT_SCRIPT.run(this.#redis, [this.#key(userId), this.#onlineKey], [this.#instanceId, userId]);
      return remaining === 0;
    } catch (error) {
      // Our claim expires by itself within the TTL.
      this.#failed(error, 'disconnect');
      return true;
    }
  }

  async onlineAmong(userIds: readonly number[]): Promise<Set<number>> {
    const ids = [...new Set(userIds)];
    if (ids.length === 0) return new Set();
    try {
      // Every chunk is written before any reply is read: one round trip.
      const replies = await Promise.all(
        chunks(ids, KEYS_PER_CALL).map((chunk) =>
          ONLINE_SCRIPT.run(this.#redis, chunk.map((id) => this.#key(id))),
        ),
      );
      const counts = replies.flatMap((reply): unknown[] => (Array.isArray(reply) ? reply : []));
      return new Set(ids.filter((_, index) => typeof counts[index] === 'number' && counts[index] > 0));
    } catch (error) {
      this.#failed(error, 'look-up');
      return new Set(ids.filter((id) => this.#sockets.has(id)));
    }
  }

  localSocketsOf(userId: number): number {
    return this.#sockets.of(userId);
  }

  localUserCount(): number {
    return this.#sockets.size;
  }

  async onlineCount(): Promise<number> {
    try {
      const online = await ONLINE_COUNT_SCRIPT.run(this.#redis, [this.#onlineKey]);
      return typeof online === 'number' ? online : this.#sockets.size;
    } catch (error) {
      this.#failed(error, 'count');
      return this.#sockets.size;
    }
  }

  /**
   * Per conversation, a sorted set `<prefix>typing:<conversationId>` holds each typist,
   * scored with when their signal expires (Redis' clock). A stop reaches Redis only when the
   * start was made here: every message stops its sender's typing, and a send should cost no
   * Redis command when its sender was not typing. Starts and stops come through the typist's
   * own socket, so this is where they started; should one not have (two tabs on two
   * instances), those who open the conversation see the signal until it expires.
   */
  async setTyping(userId: number, conversationId: number, typing: boolean, ttlMs: number): Promise<void> {
    const wasTypingHere = this.#typingHere.set(userId, conversationId, typing, ttlMs);
    if (!typing && !wasTypingHere) return;
    try {
      const key = this.#typingKey(conversationId);
      if (typing) await TYPING_SCRIPT.run(this.#redis, [key], [userId, ttlMs]);
      else await this.#redis.zrem(key, String(userId));
    } catch (error) {
      this.#failed(error, 'typing');
    }
  }

  localTypingUsers(): number {
    return this.#typingHere.users();
  }

  async typingIn(conversationId: number): Promise<Map<number, number>> {
    try {
      const reply = await TYPING_IN_SCRIPT.run(this.#redis, [this.#typingKey(conversationId)]);
      const flat = Array.isArray(reply) ? reply : [];
      const left = new Map<number, number>();
      for (let i = 0; i + 1 < flat.length; i += 2) left.set(Number(flat[i]), Number(flat[i + 1]));
      return left;
    } catch (error) {
      this.#failed(error, 'typing look-up');
      return this.#typingHere.in(conversationId);
    }
  }

  /** Stops refreshing and withdraws this instance's claims, so its users go offline now, not after the TTL. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#typingHere.clear();
    this.#redis.off('ready', this.#onReady);
    const userIds = this.#sockets.users();
    this.#sockets.clear();
    if (this.#redis.status !== 'ready') return;
    await Promise.all(
      userIds.map((id) =>
        DISCONNECT_SCRIPT.run(this.#redis, [this.#key(id), this.#onlineKey], [this.#instanceId, id]).catch(() => undefined),
      ),
    );
  }

  #key(userId: number): string {
    return `${this.#keyPrefix}presence:${userId}`;
  }

  #typingKey(conversationId: number): string {
    return `${this.#keyPrefix}typing:${conversationId}`;
  }

  /** Every online user, scored with when their latest claim expires. */
  get #onlineKey(): string {
    return `${this.#keyPrefix}online-users`;
  }

  #refresh(): void {
    if (this.#sockets.size === 0 || this.#redis.status !== 'ready') return;
    for (const chunk of chunks(this.#sockets.users(), KEYS_PER_CALL)) {
      const keys = [this.#onlineKey, ...chunk.map((id) => this.#key(id))];
      REFRESH_SCRIPT.run(this.#redis, keys, [this.#instanceId, this.#ttlMs, ...chunk]).catch((error: unknown) => this.#failed(error, 'refresh'));
    }
  }

  #failed(error: unknown, operation: string): void {
    this.#health.commandFailed(`presence ${operation}`, error);
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}
