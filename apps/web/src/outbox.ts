/**
 * My messages on their way, for every conversation of this signed-in tab: what a thread shows
 * as "Sending…" or "Not sent", sent one at a time in the order written, and kept while I move
 * between conversations and across a reload of the tab (sessionStorage, as drafts are), so a
 * message written offline is never dropped by leaving its conversation. No React here.
 *
 * Order: the server numbers messages as their calls arrive, and calls made together race, so
 * each send waits for the answer to the one before. A send that failed and goes again by
 * itself (no answer: once back online; a rate limit or the database briefly down: after the
 * wait) holds every later one back with it, so they go again together, in order. A refusal
 * (resend null) holds nothing: the user decides about it.
 */
import { describeSendError, resendOf } from './errors.ts';
import { removeKeysWithPrefix } from './tab-storage.ts';
import { isApiError, type Message } from './trpc.ts';

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

export interface OutboxEntry extends PendingSend {
  conversationId: number;
}

export type SendMessage = (input: { conversationId: number; body: string; clientId: string }) => Promise<Message>;

export const OUTBOX_PREFIX = 'parley.outbox:';
/** More unsent messages than anyone writes offline; beyond it the oldest are not kept over a reload. */
export const OUTBOX_KEPT_MAX = 500;
const NOTHING: readonly PendingSend[] = [];

export class Outbox {
  readonly #sendMessage: SendMessage;
  readonly #storage: Storage | null;
  readonly #storageKey: string;
  /** In the order written. */
  #entries: OutboxEntry[] = [];
  #chain: Promise<void> = Promise.resolve();
  #listeners = new Set<() => void>();
  #sentListeners = new Set<(message: Message) => void>();
  /** Each conversation's pending sends, the same array until they change (useSyncExternalStore). */
  #views = new Map<number, readonly PendingSend[]>();
  #waitTimer: ReturnType<typeof setTimeout> | undefined;
  #waitUntil = 0;
  #started = false;

  constructor(sendMessage: SendMessage, storage: Storage | null, userId: number) {
    this.#sendMessage = sendMessage;
    this.#storage = storage;
    this.#storageKey = `${OUTBOX_PREFIX}${userId}`;
  }

  /**
   * Sends what the page before this one left unsent (a reload), in order, with the same
   * clientIds, so one that did reach the server is not stored twice. Once; later calls do nothing.
   */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const kept = this.#restore();
    this.#entries = kept.map((entry) => ({ ...entry, status: 'pending', error: null, resend: null }));
    if (kept.length > 0) this.#changed();
    for (const entry of kept) this.#enqueue(entry.clientId);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

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
    this.#enqueue(clientId);
  }

  /** Sends a failed one again (by hand, or by itself), with its clientId. */
  retry(clientId: string): void {
    if (this.#find(clientId)?.status !== 'failed') return;
    this.#update(clientId, { status: 'pending', error: null, resend: null });
    this.#enqueue(clientId);
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
    for (const entry of [...this.#entries]) if (entry.status === 'failed' && entry.resend === reason) this.retry(entry.clientId);
  }

  /** Stops the wait's timer (the page goes); what is unsent stays kept for the next one. */
  dispose(): void {
    clearTimeout(this.#waitTimer);
    this.#waitUntil = 0;
  }

  #enqueue(clientId: string): void {
    this.#chain = this.#chain.then(() => this.#attempt(clientId));
  }

  async #attempt(clientId: string): Promise<void> {
    const entry = this.#find(clientId);
    if (entry?.status !== 'pending') return;
    const before = this.#entries.slice(0, this.#entries.indexOf(entry));
    const holding = before.find((earlier) => earlier.status === 'failed' && earlier.resend !== null);
    if (holding) {
      this.#update(clientId, { status: 'failed', error: 'Waiting for the message before it.', resend: holding.resend });
      return;
    }
    try {
      const message = await this.#sendMessage({ conversationId: entry.conversationId, body: entry.body, clientId });
      this.#remove(clientId);
      for (const listener of this.#sentListeners) listener(message);
    } catch (caught) {
      const resend = isApiError(caught) ? resendOf(caught) : null;
      const error = isApiError(caught) ? describeSendError(caught) : 'Something went wrong. Please try again.';
      this.#update(clientId, { status: 'failed', error, resend: resend?.when ?? null });
      if (resend?.when === 'after-wait') this.#resendAfter(resend.waitMs);
    }
  }

  /** One timer for every send that waits: when the longest wait is over, they all go, in order. */
  #resendAfter(waitMs: number): void {
    const until = Date.now() + waitMs;
    if (until <= this.#waitUntil) return;
    clearTimeout(this.#waitTimer);
    this.#waitUntil = until;
    this.#waitTimer = setTimeout(() => {
      this.#waitUntil = 0;
      this.resendWaiting('after-wait');
    }, waitMs);
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

  #changed(): void {
    this.#views.clear();
    this.#save();
    for (const listener of this.#listeners) listener();
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
    try {
      const value: unknown = JSON.parse(this.#storage?.getItem(this.#storageKey) ?? '[]');
      return Array.isArray(value) ? value.filter(isKept) : [];
    } catch {
      return [];
    }
  }
}

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

/** Removes every kept outbox of this tab (all users), as on sign-out. */
export function clearOutboxes(storage: Storage | null): void {
  removeKeysWithPrefix(storage, OUTBOX_PREFIX);
}
