import { describe, expect, it } from 'vitest';
import {
  formatAge,
  formatBytes,
  formatCount,
  formatDay,
  formatDecimal,
  formatMs,
  formatUptime,
  formatUtcTime,
  heatMap,
  seriesSummary,
  topConversationName,
} from './admin-stats.ts';

describe('admin figures in words', () => {
  it('never shows NaN or Infinity, whatever arrives', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(formatCount(value)).toBe('0');
      expect(formatDecimal(value)).toBe('0');
      expect(formatMs(value)).toBe('0 ms');
      expect(formatBytes(value)).toBe('0 B');
      expect(formatUptime(value)).toBe('0 s');
    }
    expect(formatUtcTime('not a date')).toBe('unknown');
    expect(formatAge('not a date', new Date())).toBe('just now');
  });

  it('groups thousands and keeps one decimal where a fraction means something', () => {
    expect(formatCount(1_234_567)).toBe('1,234,567');
    expect(formatDecimal(86.5)).toBe('86.5');
    expect(formatDecimal(137.456)).toBe('137.5');
    expect(formatDecimal(3)).toBe('3');
  });

  it('gives latencies, memory and uptimes their usual units', () => {
    expect(formatMs(0.42)).toBe('0.4 ms');
    expect(formatMs(12.6)).toBe('13 ms');
    expect(formatMs(1_250)).toBe('1.3 s');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(50_540_000)).toBe('48.2 MiB');
    expect(formatUptime(42)).toBe('42 s');
    expect(formatUptime(5 * 60 + 59)).toBe('5 min');
    expect(formatUptime(3 * 3600 + 12 * 60)).toBe('3 h 12 min');
    expect(formatUptime(2 * 86_400 + 4 * 3600 + 5)).toBe('2 d 4 h');
  });

  it('states times and days in UTC, whatever the browser time zone', () => {
    expect(formatUtcTime('2026-11-21T23:05:09.000Z')).toBe('23:05:09 UTC');
    expect(formatDay('2026-11-21')).toBe('Nov 21');
    expect(formatDay('2026-11-21', 'long')).toBe('Saturday, November 21');
    const now = new Date('2026-11-21T10:00:00Z');
    expect(formatAge('2026-11-21T09:59:58Z', now)).toBe('just now');
    expect(formatAge('2026-11-21T09:59:30Z', now)).toBe('30 s ago');
    expect(formatAge('2026-11-21T09:55:00Z', now)).toBe('5 min ago');
  });

  it('names conversations without a title by kind and id', () => {
    expect(topConversationName({ id: 4, kind: 'direct', title: null, messages: 1 })).toBe('Direct message #4');
    expect(topConversationName({ id: 5, kind: 'self', title: null, messages: 1 })).toBe('Notes to self #5');
    expect(topConversationName({ id: 6, kind: 'group', title: 'Trip', messages: 1 })).toBe('Trip');
  });
});

describe('heatMap', () => {
  it('tolerates a short or ragged grid: missing cells count 0', () => {
    const map = heatMap([[1], [], [0, 0, 5]]);
    expect(map.rows).toHaveLength(7);
    expect(map.rows.every((row) => row.cells.length === 24)).toBe(true);
    expect(map.total).toBe(6);
    expect(map.max).toBe(5);
    expect(map.busiest).toMatchObject({ weekday: 2, hour: 2, messages: 5 });
  });

  it('has no busiest cell and no NaN intensity when there were no messages', () => {
    const map = heatMap([]);
    expect(map.busiest).toBeNull();
    expect(map.rows.flatMap((row) => row.cells).every((cell) => cell.intensity === 0)).toBe(true);
  });
});

describe('seriesSummary', () => {
  it('sums a series and finds its first busiest day', () => {
    expect(
      seriesSummary([
        { date: '2026-11-01', value: 2 },
        { date: '2026-11-02', value: 7 },
        { date: '2026-11-03', value: 7 },
      ]),
    ).toEqual({ total: 16, peak: { date: '2026-11-02', value: 7 } });
    expect(seriesSummary([{ date: '2026-11-01', value: 0 }])).toEqual({ total: 0, peak: null });
  });
});
