/**
 * Pure rules of an open thread: merging pages and live events into one list ordered by seq
 * (my sends on their way are outbox.ts's). No React, easy to test.
 */
import type { ConversationEvent, Message } from './trpc.ts';

export interface ThreadState {
  /** Ascending by seq, one entry per message id. */
  messages: Message[];
  /** Whether the server has messages older than the first one here. */
  hasOlder: boolean;
}

export const EMPTY_THREAD: ThreadState = { messages: [], hasOlder: false };

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

export function withMessages(state: ThreadState, incoming: readonly Message[]): ThreadState {
  return { ...state, messages: mergeMessages(state.messages, incoming) };
}

/** The first page (the newest messages). */
export function withNewestPage(state: ThreadState, page: { items: Message[]; hasMore: boolean }): ThreadState {
  return { ...withMessages(state, page.items), hasOlder: page.hasMore };
}

/** A page loaded above the oldest message shown. */
export function withOlderPage(state: ThreadState, page: { items: Message[]; hasMore: boolean }): ThreadState {
  return { ...withMessages(state, page.items), hasOlder: page.hasMore };
}

/** A durable event from conversations.onEvent; events about members or the title leave the list alone. */
export function withEvent(state: ThreadState, event: ConversationEvent): ThreadState {
  return event.message ? withMessages(state, [event.message]) : state;
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
