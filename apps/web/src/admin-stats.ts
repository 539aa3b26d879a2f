/**
 * Pure presentation rules of the admin statistics view: number formats, the heat map's
 * shape, chart series. No React, so the edge cases (an empty install, huge numbers) are
 * easy to test. Everything the server counts by day or hour is in UTC, and so is every
 * label here.
 */
import type { LiveStats, StoredStats } from './trpc.ts';

const LOCALE = 'en';
const counts = new Intl.NumberFormat(LOCALE);
const oneDecimal = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 1 });
const twoDecimals = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 2 });
const utcTime = new Intl.DateTimeFormat(LOCALE, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone: 'UTC' });
const utcDay = new Intl.DateTimeFormat(LOCALE, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const utcDayLong = new Intl.DateTimeFormat(LOCALE, { weekday: 'long', month: 'long', day: 'numeric', timeZone: 'UTC' });

/** A finite number or 0: a figure the server could not compute must never show as "NaN". */
function finite(value: number): number {
  return Number.isFinite(value) ? value : 0;
}

/** 1234567 → "1,234,567". */
export function formatCount(value: number): string {
  return counts.format(finite(value));
}

/** An average or a rate: at most one decimal ("12.5", "3"). */
export function formatDecimal(value: number): string {
  return oneDecimal.format(finite(value));
}

/** A rate such as messages per second: "0.05", "12.5", "1,204". */
export function formatRate(value: number): string {
  return twoDecimals.format(Math.max(0, finite(value)));
}

/** Milliseconds, to the precision that matters: "0.4 ms", "12 ms", "1.2 s". */
export function formatMs(ms: number): string {
  const value = Math.max(0, finite(ms));
  if (value >= 1000) return `${oneDecimal.format(value / 1000)} s`;
  if (value >= 10) return `${counts.format(Math.round(value))} ms`;
  return `${oneDecimal.format(value)} ms`;
}

/** A percentile the server could not measure (nothing delivered in the last minute) is "–". */
export function formatPercentile(ms: number | null): string {
  return ms === null ? '–' : formatMs(ms);
}

/** Of the live figures from admin.stats and the newest pushed by admin.onStats, the more recent. */
export function newerLive(fromQuery: LiveStats | undefined, fromStream: LiveStats | undefined): LiveStats | null {
  if (!fromQuery) return fromStream ?? null;
  if (!fromStream) return fromQuery;
  return Date.parse(fromStream.generatedAt) >= Date.parse(fromQuery.generatedAt) ? fromStream : fromQuery;
}

/** Bytes in binary units: "512 B", "48.2 MiB". */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, finite(bytes));
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? counts.format(value) : oneDecimal.format(value)} ${units[unit] ?? 'B'}`;
}

/** How long a process has run: "42 s", "5 min", "3 h 12 min", "2 d 4 h". */
export function formatUptime(seconds: number): string {
  const total = Math.max(0, Math.floor(finite(seconds)));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  if (minutes > 0) return `${minutes} min`;
  return `${total} s`;
}

/** "14:05:09 UTC": when figures were computed. */
export function formatUtcTime(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? 'unknown' : `${utcTime.format(at)} UTC`;
}

/** How old a figure is, in words: "just now", "12 s ago", "3 min ago". */
export function formatAge(iso: string, now: Date): string {
  const seconds = Math.floor((now.getTime() - new Date(iso).getTime()) / 1000);
  if (!Number.isFinite(seconds) || seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}

/** A UTC calendar day ("2026-11-14") as a chart label: "Nov 14"; long: "Saturday, November 14". */
export function formatDay(date: string, style: 'short' | 'long' = 'short'): string {
  const at = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(at.getTime())) return date;
  return (style === 'long' ? utcDayLong : utcDay).format(at);
}

/** Seconds since the epoch at the start of a UTC day: uPlot's time axis unit. */
export function dayToEpochSeconds(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 1000;
}

export type ConversationKind = keyof StoredStats['conversations']['byKind'];

const KIND_LABELS: Record<ConversationKind, string> = { direct: 'Direct messages', group: 'Groups', self: 'Notes to self' };
const KIND_NAMES: Record<ConversationKind, string> = { direct: 'Direct message', group: 'Group', self: 'Notes to self' };

/** "Direct messages" for a category, "Direct message" for one conversation. */
export function kindLabel(kind: ConversationKind, count: 'many' | 'one' = 'many'): string {
  return (count === 'one' ? KIND_NAMES : KIND_LABELS)[kind];
}

/** The kinds in the order the view shows them. */
export const CONVERSATION_KINDS = Object.keys(KIND_LABELS) as ConversationKind[];

/** Conversations by kind, in a fixed order (direct, group, self), for the chart and its table. */
export function conversationsByKind(byKind: StoredStats['conversations']['byKind']): { kind: ConversationKind; label: string; conversations: number }[] {
  return CONVERSATION_KINDS.map((kind) => ({ kind, label: KIND_LABELS[kind], conversations: finite(byKind[kind]) }));
}

/** A top conversation's name: its title, or what it is (direct and notes have no title). */
export function topConversationName(conversation: StoredStats['topConversations'][number]): string {
  if (conversation.title) return conversation.title;
  return `${KIND_NAMES[conversation.kind]} #${conversation.id}`;
}

export const HOURS = Array.from({ length: 24 }, (_, hour) => hour);

/** Rows Monday first, as most calendars outside the US show a week; `weekday` is the server's (0 = Sunday). */
const WEEK = [
  { weekday: 1, short: 'Mon', long: 'Monday' },
  { weekday: 2, short: 'Tue', long: 'Tuesday' },
  { weekday: 3, short: 'Wed', long: 'Wednesday' },
  { weekday: 4, short: 'Thu', long: 'Thursday' },
  { weekday: 5, short: 'Fri', long: 'Friday' },
  { weekday: 6, short: 'Sat', long: 'Saturday' },
  { weekday: 0, short: 'Sun', long: 'Sunday' },
] as const;

/** "14:00–15:00 UTC". */
export function hourRange(hour: number): string {
  const pad = (h: number) => String(h).padStart(2, '0');
  return `${pad(hour)}:00–${pad((hour + 1) % 24)}:00 UTC`;
}

export interface HeatCell {
  weekday: number;
  hour: number;
  messages: number;
  /** 0 (none) to 1 (the busiest cell); drives the colour. */
  intensity: number;
  /** "Tuesday 14:00–15:00 UTC: 12 messages". */
  description: string;
}

export interface HeatMap {
  rows: { weekday: number; short: string; long: string; cells: HeatCell[] }[];
  max: number;
  total: number;
  /** The busiest cell, or null when there were no messages. */
  busiest: HeatCell | null;
}

/** "1 message", "1,204 messages". */
export const plural = (count: number, one: string, many: string): string => `${formatCount(count)} ${count === 1 ? one : many}`;

/** busiestHours[weekday][hour] as rows Monday to Sunday, with each cell's share of the busiest. */
export function heatMap(busiestHours: StoredStats['busiestHours']): HeatMap {
  const countAt = (weekday: number, hour: number) => Math.max(0, finite(busiestHours[weekday]?.[hour] ?? 0));
  let max = 0;
  let total = 0;
  for (const { weekday } of WEEK) {
    for (const hour of HOURS) {
      max = Math.max(max, countAt(weekday, hour));
      total += countAt(weekday, hour);
    }
  }
  let busiest: HeatCell | null = null;
  const rows = WEEK.map((day) => ({
    ...day,
    cells: HOURS.map((hour) => {
      const messages = countAt(day.weekday, hour);
      const cell: HeatCell = {
        weekday: day.weekday,
        hour,
        messages,
        intensity: max > 0 ? messages / max : 0,
        description: `${day.long} ${hourRange(hour)}: ${plural(messages, 'message', 'messages')}`,
      };
      if (messages > 0 && (busiest === null || messages > busiest.messages)) busiest = cell;
      return cell;
    }),
  }));
  return { rows, max, total, busiest };
}

/** The 30-day series summed up for a chart's label: total and the busiest day. */
export function seriesSummary(points: { date: string; value: number }[]): { total: number; peak: { date: string; value: number } | null } {
  let total = 0;
  let peak: { date: string; value: number } | null = null;
  for (const point of points) {
    const value = finite(point.value);
    total += value;
    if (value > 0 && (peak === null || value > peak.value)) peak = { date: point.date, value };
  }
  return { total, peak };
}
