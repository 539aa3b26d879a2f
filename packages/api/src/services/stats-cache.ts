/**
 * The stored statistics scan a month of messages; on SQLite that query runs on the event
 * loop and holds up every socket of the process while it runs. So each process computes
 * them at most once per STORED_STATS_TTL_MS, and admins who ask at the same time share
 * one computation. `generatedAt` in the result says how old the figures are.
 */
import type { Database } from '@parley/db';
import { storedStats, type StoredStats } from './stats.ts';

/** How long computed stored statistics are served before they are computed again. */
export const STORED_STATS_TTL_MS = 15_000;

export interface TtlCacheOptions {
  ttlMs: number;
  /** Milliseconds since the epoch; tests pass their own. */
  clock?: () => number;
}

/**
 * One value, computed on demand and reused for `ttlMs` counted from the start of its
 * computation (so a value is never older than that when handed out). Single-flight:
 * callers that arrive while a computation runs wait for that one instead of starting
 * another. A failed computation is not kept: the next caller tries again.
 */
export class TtlCache<T> {
  readonly ttlMs: number;
  readonly #compute: (at: Date) => Promise<T>;
  readonly #clock: () => number;
  #entry: { value: Promise<T>; startedAt: number; settled: boolean } | undefined;

  constructor(compute: (at: Date) => Promise<T>, { ttlMs, clock = Date.now }: TtlCacheOptions) {
    if (!Number.isFinite(ttlMs) || ttlMs < 0) throw new RangeError(`ttlMs must be a finite number >= 0, got ${ttlMs}`);
    this.ttlMs = ttlMs;
    this.#compute = compute;
    this.#clock = clock;
  }

  get(): Promise<T> {
    const now = this.#clock();
    const entry = this.#entry;
    if (entry && (!entry.settled || now - entry.startedAt < this.ttlMs)) return entry.value;

    const started = { value: this.#compute(new Date(now)), startedAt: now, settled: false };
    this.#entry = started;
    started.value.then(
      () => {
        started.settled = true;
      },
      () => {
        if (this.#entry === started) this.#entry = undefined;
      },
    );
    return started.value;
  }

  /** Forgets the value: the next `get` computes afresh (one already running is not awaited). */
  invalidate(): void {
    this.#entry = undefined;
  }
}

const cacheByDatabase = new WeakMap<Database, TtlCache<StoredStats>>();

/** This process's cache of the stored statistics of `db` (one per open database). */
export function storedStatsCache(db: Database): TtlCache<StoredStats> {
  let cache = cacheByDatabase.get(db);
  if (!cache) {
    // A fork of its own: the computation is shared, so it must not borrow one caller's.
    cache = new TtlCache((at) => storedStats(db.em.fork(), at), { ttlMs: STORED_STATS_TTL_MS });
    cacheByDatabase.set(db, cache);
  }
  return cache;
}
