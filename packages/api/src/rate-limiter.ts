/**
 * Fixed-window rate limiting behind a store interface: in-process here; a Redis store
 * with the same interface lets several server instances share the counters.
 */
import { TRPCError } from '@trpc/server';
import type { RateRule } from './limits.ts';

export interface RateLimitStore {
  /** Counts one hit on `key`; returns the count in the current window and when that window ends. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetAt: number }>;
}

export class MemoryRateLimitStore implements RateLimitStore {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async hit(key: string, windowMs: number) {
    const now = this.#now();
    let window = this.#windows.get(key);
    if (!window || window.resetAt <= now) {
      if (this.#windows.size > 10_000) this.#sweep(now);
      window = { count: 0, resetAt: now + windowMs };
      this.#windows.set(key, window);
    }
    window.count += 1;
    return { ...window };
  }

  /** Drops ended windows so idle keys cannot grow memory without bound. */
  #sweep(now: number) {
    for (const [key, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(key);
  }
}

/**
 * A wait as a person reads it: seconds under a minute, minutes under an hour, else hours.
 * Seconds and minutes round up (never too early); hours are "about", to the nearest.
 */
function waitInWords(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(seconds / 3600);
  return `about ${hours} ${hours === 1 ? 'hour' : 'hours'}`;
}

/** Carried as the `cause` of TOO_MANY_REQUESTS, so the error formatter can say when to retry. */
export class RateLimitedError extends Error {
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number) {
    super(`Too many requests, try again in ${waitInWords(retryAfterMs)}`);
    this.retryAfterMs = retryAfterMs;
  }
}

export class RateLimiter {
  readonly #store: RateLimitStore;
  readonly #now: () => number;

  constructor(store: RateLimitStore, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  /** Counts a hit and throws TOO_MANY_REQUESTS once the rule's limit is passed. */
  async consume(key: string, rule: RateRule): Promise<void> {
    const { count, resetAt } = await this.#store.hit(key, rule.windowMs);
    if (count > rule.limit) {
      const cause = new RateLimitedError(Math.max(0, resetAt - this.#now()));
      throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: cause.message, cause });
    }
  }
}
