/**
 * The cache in front of the stored statistics: how old the figures an admin sees can be,
 * and that admins asking together cost the database one computation. A clock the test
 * moves stands in for time; the computations are real promises the test settles.
 */
import { describe, expect, it } from 'vitest';
import { TtlCache } from '../src/services/stats-cache.ts';

/** A computation the test finishes (or fails) when it wants, counting how often it started. */
function controlledComputation() {
  const started: { at: Date; resolve: (value: string) => void; reject: (error: Error) => void }[] = [];
  const compute = (at: Date) =>
    new Promise<string>((resolve, reject) => {
      started.push({ at, resolve, reject });
    });
  return { compute, started };
}

function setUp(ttlMs = 15_000) {
  let now = 1_000_000;
  const { compute, started } = controlledComputation();
  const cache = new TtlCache(compute, { ttlMs, clock: () => now });
  return {
    cache,
    started,
    advance: (ms: number) => {
      now += ms;
    },
    finish: (value: string) => started.at(-1)?.resolve(value),
  };
}

describe('TtlCache (the stored statistics cache)', () => {
  it('makes callers who arrive during a computation share it', async () => {
    const { cache, started, finish } = setUp();
    const callers = [cache.get(), cache.get(), cache.get()];
    expect(started).toHaveLength(1);
    finish('figures');
    expect(await Promise.all(callers)).toEqual(['figures', 'figures', 'figures']);
  });

  it('serves the value until ttlMs after its computation started, then computes again', async () => {
    const { cache, started, advance, finish } = setUp(15_000);
    const first = cache.get();
    advance(200);
    finish('first');
    await first;
    advance(14_799);
    expect(await cache.get()).toBe('first');
    expect(started).toHaveLength(1);

    advance(1);
    const second = cache.get();
    expect(started).toHaveLength(2);
    expect(started[1]?.at.getTime()).toBe(started[0] ? started[0].at.getTime() + 15_000 : Number.NaN);
    finish('second');
    expect(await second).toBe('second');
  });

  it('still shares a computation that takes longer than ttlMs', async () => {
    const { cache, started, advance, finish } = setUp(1_000);
    const first = cache.get();
    advance(5_000);
    const late = cache.get();
    expect(started).toHaveLength(1);
    finish('slow');
    expect(await Promise.all([first, late])).toEqual(['slow', 'slow']);
  });

  it('does not keep a failure: everyone waiting sees it, the next caller tries again', async () => {
    const { cache, started, finish } = setUp();
    const waiting = [cache.get(), cache.get()];
    started[0]?.reject(new Error('database unavailable'));
    for (const result of await Promise.allSettled(waiting)) expect(result).toMatchObject({ status: 'rejected', reason: { message: 'database unavailable' } });

    const retry = cache.get();
    expect(started).toHaveLength(2);
    finish('recovered');
    expect(await retry).toBe('recovered');
  });

  it('computes afresh after invalidate, without waiting for the one running', async () => {
    const { cache, started, finish } = setUp();
    const stale = cache.get();
    cache.invalidate();
    const fresh = cache.get();
    expect(started).toHaveLength(2);
    started[0]?.resolve('old');
    finish('new');
    expect(await Promise.all([stale, fresh])).toEqual(['old', 'new']);
    expect(await cache.get()).toBe('new');
    expect(started).toHaveLength(2);
  });

  it('refuses a ttlMs that is negative or not a number', () => {
    const { compute } = controlledComputation();
    for (const ttlMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new TtlCache(compute, { ttlMs })).toThrow(RangeError);
    }
  });
});
