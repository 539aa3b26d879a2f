/**
 * Fixed-window rate-limit counters in Redis, shared by every instance: one atomic script
 * per hit (INCR, PEXPIRE when the window is new, PTTL), so two instances counting the same
 * key at once can neither lose a hit nor open a second window.
 *
 * If Redis is unreachable, counting falls back to this instance's memory until it is back:
 * limits stay enforced per instance instead of failing every request.
 */
import type { Redis } from 'ioredis';
import { MemoryRateLimitStore, type RateLimitStore } from '../rate-limiter.ts';
import { RedisScript, type RedisHealth } from './redis-connection.ts';

export interface RedisRateLimitStoreOptions {
  /** A command connection; shared, not owned. */
  redis: Redis;
  /** Reports failed commands (an outage itself is reported by the connection). */
  health: RedisHealth;
  /** Prepended to every key. */
  keyPrefix?: string;
}

/** KEYS[1] the counter; ARGV[1] the window in ms. Returns {count, ms until the window ends}. */
const HIT_SCRIPT = new RedisScript(`
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  ttl = tonumber(ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return {count, ttl}`);

export class RedisRateLimitStore implements RateLimitStore {
  readonly #redis: Redis;
  readonly #health: RedisHealth;
  readonly #keyPrefix: string;
  readonly #fallback = new MemoryRateLimitStore();

  constructor(options: RedisRateLimitStoreOptions) {
    this.#redis = options.redis;
    this.#health = options.health;
    this.#keyPrefix = options.keyPrefix ?? 'parley:';
  }

  async hit(key: string, windowMs: number): Promise<{ count: number; resetAt: number }> {
    if (!(Number.isInteger(windowMs) && windowMs > 0)) throw new RangeError(`windowMs must be a positive integer, got ${windowMs}`);
    try {
      const reply = await HIT_SCRIPT.run(this.#redis, [`${this.#keyPrefix}ratelimit:${key}`], [windowMs]);
      if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
        throw new Error(`unexpected reply from the rate-limit script: ${JSON.stringify(reply)}`);
      }
      return { count: reply[0], resetAt: Date.now() + reply[1] };
    } catch (error) {
      this.#health.commandFailed('rate limit', error);
      return this.#fallback.hit(key, windowMs);
    }
  }
}
