/**
 * My messages on their way, for every conversation of this signed-in tab: what a thread shows
 * as "Sending…" or "Not sent", sent one at a time in the order written, and kept while I move
 * between conversations and across a reload of the tab (sessionStorage, as drafts are), so a
 * message written offline is never dropped by leaving its conversation. No React here.
 *
 * Order: the server numbers messages as their calls arrive, and calls made together race, so
 * each send waits for the answer to the one before, and the next to go is always the oldest
 * still pending. A send that failed and goes again by itself (no answer: after a growing wait,
 * or at once when the connection is back; a rate limit or the database briefly down: after the
 * wait) holds every later one back; they go right after it once it goes again, whether by
 * itself or by Retry, or once it is discarded or confirmed. A refusal (resend null) holds
 * nothing: the user decides about it.
 */
import { describeSendError, resendOf } from './errors.ts';
import { removeKeysWithPrefix } from './tab-storage.ts';
import { isApiError, type Message } from './trpc.ts';

/** A message I sent that the server has not confirmed: shown at once, retried with the same clientId. */
export interface PendingSend {
  clientId: string;
  body: string;
  status: 'pending' | 'failed';
  /**
   * Why the last attempt failed, in words. Kept while it goes again by itself (pending): it
   * was not sent, and is being tried again; a Retry by hand starts afresh ("Sending…").
   */
  error: string | null;
  /**
   * Whether a failed send goes again by itself: when Parley can be reached again (it got no
   * answer), after the wait the server asked for (a rate limit, the database briefly down),
   * or right after an earlier failed one that holds it back; null when the server refused it
   * and only the user can decide.
   */
  resend: 'when-online' | 'after-wait' | 'after-earlier' | null;
}

export interface OutboxEntry extends PendingSend {
  conversationId: number;
}

export type SendMessage = (input: { conversationId: number; body: string; clientId: string }) => Promise<Message>;

export const OUTBOX_PREFIX = 'parley.outbox:';
/** More unsent messages than anyone writes offline; beyond it the oldest are not kept over a reload. */
export const OUTBOX_KEPT_MAX = 500;
/**
 * A send that got no answer goes again this long after, then after twice as long each time
 * it still gets none: the socket may stay up while calls fail, so its reconnect alone is not
 * enough, and waiting longer spares a server that is struggling.
 */
export const RESEND_BACKOFF_FIRST_MS = 3_000;
/** ...up to this, so a message goes within half a minute of Parley being reachable again. */
export const RESEND_BACKOFF_MAX_MS = 30_000;
const NOTHING: readonly PendingSend[] = [];

export class Outbox {
  readonly #sendMessage: SendMessage;
  readonly #storage: Storage | null;
  readonly #storageKey: string;
  /** In the order written. */
  #entries: OutboxEntry[] = [];
  /** A send is on its way: the next goes once it has its answer. */
  #sending = false;
  #listeners = new Set<() => void>();
  #sentListeners = new Set<(message: Message) => void>();
  /** Each conversation's pending sends, the same array until they change (useSyncExternalStore). */
  #views = new Map<number, readonly PendingSend[]>();
  #waitTimer: ReturnType<typeof setTimeout> | undefined;
  #waitUntil = 0;
  #backOffTimer: ReturnType<typeof setTimeout> | undefined;
  /** Sends in a row that got no answer since the last one stored: how long the next wait is. */
  #noAnswers = 0;
  #started = false;
  /** Disposed: nothing more goes (the page goes, or its user signs out). */
  #stopped = false;

  constructor(sendMessage: SendMessage, storage: Storage | null, userId: number) {
    this.#sendMessage = sendMessage;
    this.#storage = storage;
    this.#storageKey = outboxKey(userId);
  }

  /**
   * Sends what the page before this one left unsent (a reload), in order, with the same
   * clientIds, so one that did reach the server is not stored twice. Restores once; a later
   * call (after dispose, as React's StrictMode does) only lets sends go again.
   */
  start(): void {
    this.#stopped = false;
    if (!this.#started) {
      this.#started = true;
      this.#entries = this.#restore().map((entry) => ({ ...entry, status: 'pending', error: null, resend: null }));
    }
    this.#changed();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** My messages not stored yet (on their way or not sent): what a sign-out or closing the tab loses. */
  unsentCount = (): number => this.#entries.length;

  /** A conversation's unconfirmed sends, oldest first. */
  pendingIn(conversationId: number): readonly PendingSend[] {
    let view = this.#views.get(conversationId);
    if (!view) {
      const entries = this.#entries.filter((entry) => entry.conversationId === conversationId);
      view = entries.length === 0 ? NOTHING : entries;
      this.#views.set(conversationId, view);
    }
    return view;
  }

  /** Tells `listener` of each message the server stored from here (to show it at once). */
  onSent(listener: (message: Message) => void): () => void {
    this.#sentListeners.add(listener);
    return () => this.#sentListeners.delete(listener);
  }

  send(conversationId: number, body: string): void {
    const clientId = crypto.randomUUID();
    this.#entries.push({ conversationId, clientId, body, status: 'pending', error: null, resend: null });
    this.#changed();
  }

  /**
   * Sends a failed one again by hand, with its clientId. One waiting behind an earlier failed
   * one would only wait again: Retry sends that earlier one now, and this one right after it.
   */
  retry(clientId: string): void {
    const index = this.#entries.findIndex((entry) => entry.clientId === clientId);
    const entry = this.#entries[index];
    if (entry?.status !== 'failed') return;
    const holders = this.#entries.slice(0, index).filter(holdsLaterOnes);
    this.#sendAgain((candidate) => (entry.resend === 'after-earlier' ? holders.includes(candidate) : candidate === entry), { byHand: true });
  }

  discard(clientId: string): void {
    this.#remove(clientId);
  }

  /** My messages the server has (from a send's answer, the live stream or a page): no longer pending. */
  confirm(messages: readonly Message[]): void {
    for (const message of messages) if (this.#find(message.clientId)) this.#remove(message.clientId);
  }

  /** Sends again, in order, the ones that wait for this: the connection back, or their wait over. */
  resendWaiting(reason: 'when-online' | 'after-wait'): void {
    this.#sendAgain((entry) => entry.status === 'failed' && entry.resend === reason, { byHand: false });
  }

  /** Stops the timers and what has yet to go (the page goes); what is unsent stays kept for the next one. */
  dispose(): void {
    this.#stopped = true;
    clearTimeout(this.#waitTimer);
    this.#waitUntil = 0;
    clearTimeout(this.#backOffTimer);
  }

  #sendAgain(which: (entry: OutboxEntry) => boolean, { byHand }: { byHand: boolean }): void {
    if (!this.#entries.some(which)) return;
    this.#entries = this.#entries.map((entry) => (which(entry) ? { ...entry, status: 'pending', error: byHand ? null : entry.error, resend: null } : entry));
    this.#changed();
  }

  /** Sends the oldest pending one, then the next, until none is left (or one holds the rest). */
  async #sendPending(): Promise<void> {
    if (this.#sending) return;
    this.#sending = true;
    try {
      for (let next = this.#next(); next; next = this.#next()) await this.#attempt(next);
    } finally {
      this.#sending = false;
    }
  }

  /** Pending ones are never behind one that holds them (#changed sees to it), so the oldest goes first. */
  #next(): OutboxEntry | undefined {
    return this.#stopped ? undefined : this.#entries.find((entry) => entry.status === 'pending');
  }

  async #attempt({ conversationId, body, clientId }: OutboxEntry): Promise<void> {
    let message: Message;
    try {
      message = await this.#sendMessage({ conversationId, body, clientId });
    } catch (caught) {
      const resend = isApiError(caught) ? resendOf(caught) : null;
      const error = isApiError(caught) ? describeSendError(caught) : 'Something went wrong. Please try again.';
      this.#update(clientId, { status: 'failed', error, resend: resend?.when ?? null });
      if (resend?.when === 'after-wait') this.#resendAfter(resend.waitMs);
      if (resend?.when === 'when-online') this.#resendAfterBackOff();
      return;
    }
    this.#noAnswers = 0;
    this.#remove(clientId);
    for (const listener of this.#sentListeners) listener(message);
  }

  /** One timer for every send that waits: when the longest wait is over, they all go, in order. */
  #resendAfter(waitMs: number): void {
    const until = Date.now() + waitMs;
    if (until <= this.#waitUntil || this.#stopped) return;
    clearTimeout(this.#waitTimer);
    this.#waitUntil = until;
    this.#waitTimer = setTimeout(() => {
      this.#waitUntil = 0;
      this.resendWaiting('after-wait');
    }, waitMs);
  }

  /** Tries again what got no answer after a wait that grows with each failure in a row (capped). */
  #resendAfterBackOff(): void {
    if (this.#stopped) return;
    clearTimeout(this.#backOffTimer);
    const waitMs = Math.min(RESEND_BACKOFF_MAX_MS, RESEND_BACKOFF_FIRST_MS * 2 ** this.#noAnswers);
    this.#noAnswers += 1;
    this.#backOffTimer = setTimeout(() => this.resendWaiting('when-online'), waitMs);
  }

  #find(clientId: string): OutboxEntry | undefined {
    return this.#entries.find((entry) => entry.clientId === clientId);
  }

  #update(clientId: string, change: Pick<PendingSend, 'status' | 'error' | 'resend'>): void {
    this.#entries = this.#entries.map((entry) => (entry.clientId === clientId ? { ...entry, ...change } : entry));
    this.#changed();
  }

  #remove(clientId: string): void {
    this.#entries = this.#entries.filter((entry) => entry.clientId !== clientId);
    this.#changed();
  }

  /** After every change: hold back what waits behind a failed one, show it, keep it, send what can go. */
  #changed(): void {
    this.#entries = withHolding(this.#entries);
    this.#views.clear();
    this.#save();
    for (const listener of this.#listeners) listener();
    void this.#sendPending();
  }

  #save(): void {
    if (!this.#storage) return;
    try {
      if (this.#entries.length === 0) this.#storage.removeItem(this.#storageKey);
      else {
        const kept: Kept[] = this.#entries.slice(-OUTBOX_KEPT_MAX).map(({ conversationId, clientId, body }) => ({ conversationId, clientId, body }));
        this.#storage.setItem(this.#storageKey, JSON.stringify(kept));
      }
    } catch {
      // Storage full or blocked: they are still sent from this page, only not kept over a reload.
    }
  }

  #restore(): Kept[] {
    return readKept(this.#storage, this.#storageKey);
  }
}

const outboxKey = (userId: number) => `${OUTBOX_PREFIX}${userId}`;

function readKept(storage: Storage | null, key: string): Kept[] {
  try {
    const value: unknown = JSON.parse(storage?.getItem(key) ?? '[]');
    return Array.isArray(value) ? value.filter(isKept) : [];
  } catch {
    return [];
  }
}

/** How many of `userId`'s messages this tab keeps unsent (sent when their outbox next starts). */
export function keptSendCount(storage: Storage | null, userId: number): number {
  return readKept(storage, outboxKey(userId)).length;
}

/** A failed send that goes again by itself: every later one waits for it, to keep the order. */
const holdsLaterOnes = (entry: OutboxEntry): boolean =>
  entry.status === 'failed' && (entry.resend === 'when-online' || entry.resend === 'after-wait');

/**
 * Every pending send behind the first that holds later ones waits for it, and says so. One that
 * waits goes again once nothing before it holds it or is on its way (that one was stored, or
 * discarded), so its words stay true while the one before it is tried again.
 */
function withHolding(entries: OutboxEntry[]): OutboxEntry[] {
  let holder: OutboxEntry | undefined;
  let pendingBefore = false;
  return entries.map((entry) => {
    if (!holder && holdsLaterOnes(entry)) holder = entry;
    else if (holder && entry.status === 'pending') return { ...entry, status: 'failed', error: waitingFor(holder, entry), resend: 'after-earlier' };
    else if (!holder && !pendingBefore && entry.resend === 'after-earlier') entry = { ...entry, status: 'pending', error: null, resend: null };
    if (entry.status === 'pending') pendingBefore = true;
    return entry;
  });
}

/** "The message before it" only when that one shows in the same thread. */
const waitingFor = (holder: OutboxEntry, entry: OutboxEntry): string =>
  holder.conversationId === entry.conversationId ? 'Waiting for the message before it.' : 'Waiting for a message written before it in another conversation.';

/** What is kept of a send over a reload. */
type Kept = Pick<OutboxEntry, 'conversationId' | 'clientId' | 'body'>;

const isKept = (item: unknown): item is Kept =>
  typeof item === 'object' &&
  item !== null &&
  'conversationId' in item &&
  typeof item.conversationId === 'number' &&
  'clientId' in item &&
  typeof item.clientId === 'string' &&
  'body' in item &&
  typeof item.body === 'string';

/** Removes the kept outboxes of this tab: every user's (sign-out), or all but `keptUserId`'s. */
export function clearOutboxes(storage: Storage | null, keptUserId: number | null = null): void {
  removeKeysWithPrefix(storage, OUTBOX_PREFIX, (key) => keptUserId !== null && key === outboxKey(keptUserId));
}
