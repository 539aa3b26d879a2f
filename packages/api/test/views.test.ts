/** The API's times: what clients parse, so exactly Date#toISOString's text. */
import { describe, expect, it } from 'vitest';
import { iso } from '../src/views.ts';

describe('iso', () => {
  it('writes every instant exactly as Date#toISOString does', () => {
    const edges = [
      0, 1, 999, 86_399_999, 86_400_000,
      Date.UTC(1972, 1, 29, 23, 59, 59, 999), Date.UTC(2000, 1, 29), Date.UTC(2100, 1, 28, 23, 59, 59, 999), Date.UTC(2100, 2, 1),
      Date.UTC(1999, 11, 31, 23, 59, 59, 999), Date.UTC(2026, 10, 21, 13, 0, 0, 7), Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      // Outside four-digit years, and before 1970: the native text.
      Date.UTC(10_000, 0, 1), -1, Date.UTC(1969, 11, 31, 23, 59, 59, 999), Date.UTC(-1, 0, 1),
    ];
    for (const ms of edges) expect(iso(new Date(ms))).toBe(new Date(ms).toISOString());
    // A deterministic spread over the whole range (a linear congruential walk).
    let ms = 12_345;
    for (let i = 0; i < 200_000; i++) {
      ms = (ms * 48_271 + 11) % Date.UTC(9999, 11, 31, 23, 59, 59, 999);
      const date = new Date(ms);
      if (iso(date) !== date.toISOString()) expect(iso(date)).toBe(date.toISOString());
    }
  });
});
