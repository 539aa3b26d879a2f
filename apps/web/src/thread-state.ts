/**
 * Pure rules of an open thread: merging pages, live events and my own sends into one list
 * ordered by seq, and the life of an optimistic send. No React, easy to test.
 */
import type { ConversationEvent, Message } from './trpc.ts';

/** A message I sent that the server has not confirmed: shown at once, retried with the same clientId. */
export interface PendingSend {
  clientId: string;
  body: string;
  status: 'pending' | 'failed';
  /** Why the last attempt failed, in words. */
  error: string | null;
  /**
   * Whether a failed send goes again by itself: once the connection is back (it got no
   * answer), or after the wait the server asked for (a rate limit, the database briefly
   * down); null when the server refused it and only the user can decide.
   */
  resend: 'when-online' | 'after-wait' | null;
}

export interface ThreadState {
  /** Ascending by seq, one entry per message id. */
  messages: Message[];
  /** Whether the server has messages older than the first one here. */
  hasOlder: boolean;
  /** My sends not yet confirmed, oldest first. */
  pending: PendingSend[];
}

export const EMPTY_THREAD: ThreadState = { messages: [], hasOlder: false, pending: [] };

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

/** A confirmed message of mine replaces its pending copy. */
function confirm(state: ThreadState, messages: readonly Message[]): PendingSend[] {
  const confirmed = new Set(messages.map((message) => message.clientId));
  return state.pending.filter((send) => !confirmed.has(send.clientId));
}

export function withMessages(state: ThreadState, incoming: readonly Message[], myId: number): ThreadState {
  const mine = incoming.filter((message) => message.senderId === myId);
  return { ...state, messages: mergeMessages(state.messages, incoming), pending: mine.length ? confirm(state, mine) : state.pending };
}

/** The first page (the newest messages). */
export function withNewestPage(state: ThreadState, page: { items: Message[]; hasMore: boolean }, myId: number): ThreadState {
  return { ...withMessages(state, page.items, myId), hasOlder: page.hasMore };
}

/** A page loaded above the oldest message shown. */
export function withOlderPage(state: ThreadState, page: { items: Message[]; hasMore: boolean }, myId: number): ThreadState {
  return { ...withMessages(state, page.items, myId), hasOlder: page.hasMore };
}

/** A durable event from conversations.onEvent; events about members or the title leave the list alone. */
export function withEvent(state: ThreadState, event: ConversationEvent, myId: number): ThreadState {
  return event.message ? withMessages(state, [event.message], myId) : state;
}

export function withSendStarted(state: ThreadState, clientId: string, body: string): ThreadState {
  const others = state.pending.filter((send) => send.clientId !== clientId);
  return { ...state, pending: [...others, { clientId, body, status: 'pending', error: null, resend: null }] };
}

/** A retry keeps the pending entry (and its clientId), so the server can never store it twice. */
export function withRetry(state: ThreadState, clientId: string): ThreadState {
  return {
    ...state,
    pending: state.pending.map((send) => (send.clientId === clientId ? { ...send, status: 'pending', error: null, resend: null } : send)),
  };
}

export function withSendFailed(state: ThreadState, clientId: string, error: string, resend: PendingSend['resend'] = null): ThreadState {
  return { ...state, pending: state.pending.map((send) => (send.clientId === clientId ? { ...send, status: 'failed', error, resend } : send)) };
}

export function withSendDiscarded(state: ThreadState, clientId: string): ThreadState {
  return { ...state, pending: state.pending.filter((send) => send.clientId !== clientId) };
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
