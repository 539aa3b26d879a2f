/**
 * Pure rules of an open thread: merging pages and live events into one list ordered by seq
 * (my sends on their way are outbox.ts's). No React, easy to test.
 */
import type { ConversationEvent, HistoryPage, Message } from './trpc.ts';

export interface ThreadState {
  /** Ascending by seq, one entry per message id. */
  messages: Message[];
  /** The events that carry no message (members added, removed or left, renames): ascending by seq, one entry per seq. */
  notices: ConversationEvent[];
  /** Whether the server has messages older than the first one here. */
  hasOlder: boolean;
}

export const EMPTY_THREAD: ThreadState = { messages: [], notices: [], hasOlder: false };

/** What the thread shows, in seq order: the group's creation, the messages and the notices between them. */
export type TimelineEntry = { kind: 'created'; createdBy: number; createdAt: string } | LoggedEntry;

/** A message or a notice: what the log holds. */
export type LoggedEntry = { kind: 'message'; message: Message } | { kind: 'notice'; notice: ConversationEvent };

/** When an entry happened. */
export function timeOfEntry(entry: TimelineEntry): string {
  return entry.kind === 'created' ? entry.createdAt : entry.kind === 'message' ? entry.message.createdAt : entry.notice.createdAt;
}

/** How far along a message's life a copy is: a later copy never gives way to an earlier one. */
function stage(message: Message): number {
  if (message.deletedAt) return Number.MAX_SAFE_INTEGER;
  return message.editedAt ? Date.parse(message.editedAt) : 0;
}

/** `incoming` added to `messages` (ascending by seq, unique by id); the most advanced copy of each wins. */
export function mergeMessages(messages: readonly Message[], incoming: readonly Message[]): Message[] {
  const byId = new Map(messages.map((message) => [message.id, message]));
  for (const message of incoming) {
    const known = byId.get(message.id);
    if (!known || stage(message) >= stage(known)) byId.set(message.id, message);
  }
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

/** `incoming` added to `notices` (ascending by seq, unique by seq). */
function mergeNotices(notices: readonly ConversationEvent[], incoming: readonly ConversationEvent[]): ConversationEvent[] {
  const known = new Set(notices.map((notice) => notice.seq));
  const fresh = incoming.filter((notice) => !known.has(notice.seq));
  return [...notices, ...fresh].sort((a, b) => a.seq - b.seq);
}

export function withMessages(state: ThreadState, incoming: readonly Message[]): ThreadState {
  return { ...state, messages: mergeMessages(state.messages, incoming) };
}

/** A page of history: the newest, or one loaded above the oldest message shown. */
export function withPage(state: ThreadState, page: Pick<HistoryPage, 'items' | 'notices' | 'hasMore'>): ThreadState {
  return { messages: mergeMessages(state.messages, page.items), notices: mergeNotices(state.notices, page.notices), hasOlder: page.hasMore };
}

/**
 * A durable event from conversations.onEvent: a message's news, or (carrying no message) a
 * notice. An edit or deletion of a message above the loaded pages is left to the page that
 * brings it (with its latest copy): held here, it would be the oldest message shown, and the
 * next older page would start above it, skipping everything in between.
 */
export function withEvent(state: ThreadState, event: ConversationEvent): ThreadState {
  if (event.message) return isAboveLoaded(state, event.message) ? state : withMessages(state, [event.message]);
  if (state.notices.some((known) => known.seq === event.seq)) return state;
  return { ...state, notices: mergeNotices(state.notices, [event]) };
}

/** Messages and notices in seq order. */
export function timelineOf(messages: readonly Message[], notices: readonly ConversationEvent[]): LoggedEntry[] {
  const entries: LoggedEntry[] = [];
  let next = 0;
  for (const message of messages) {
    for (let notice = notices[next]; notice && notice.seq < message.seq; notice = notices[++next]) entries.push({ kind: 'notice', notice });
    entries.push({ kind: 'message', message });
  }
  for (const notice of notices.slice(next)) entries.push({ kind: 'notice', notice });
  return entries;
}

/** Where the next older page starts: the lowest seq held, message or notice (a page of many notices ends at one). */
export function oldestSeq(state: { messages: readonly Message[]; notices: readonly ConversationEvent[] }): number | null {
  const seqs = [state.messages[0]?.seq, state.notices[0]?.seq].filter((seq) => seq !== undefined);
  return seqs.length > 0 ? Math.min(...seqs) : null;
}

/** Whether the first message after my read marker is held: nothing older exists, or the oldest held is at or before it. */
export function holdsFirstUnread(state: { messages: readonly Message[]; notices: readonly ConversationEvent[]; hasOlder: boolean }, readUpTo: number): boolean {
  const oldest = oldestSeq(state);
  return !state.hasOlder || (oldest !== null && oldest <= readUpTo + 1);
}

/** Whether `message` is older than everything held while older pages remain to load. */
function isAboveLoaded(state: ThreadState, message: Message): boolean {
  const oldest = oldestSeq(state);
  return state.hasOlder && oldest !== null && message.seq < oldest;
}

export function newestSeq(state: ThreadState): number {
  return state.messages.at(-1)?.seq ?? 0;
}

/** The local calendar day of an ISO time, as a key ("2026-11-21"). */
export function dayKey(iso: string): string {
  const date = new Date(iso);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

const dayFormat = new Intl.DateTimeFormat('en', { weekday: 'long', month: 'long', day: 'numeric' });
const dayYearFormat = new Intl.DateTimeFormat('en', { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' });

/** A day separator's words: "Today", "Yesterday", "Monday, November 16", with the year when not this one. */
export function dayLabel(iso: string, now: Date): string {
  const then = new Date(iso);
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const day = new Date(then.getFullYear(), then.getMonth(), then.getDate());
  const days = Math.round((today.getTime() - day.getTime()) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return then.getFullYear() === now.getFullYear() ? dayFormat.format(then) : dayYearFormat.format(then);
}

/** Code points, as the server counts a body's length (an emoji is one, not two). */
export function lengthOf(text: string): number {
  return [...text].length;
}
