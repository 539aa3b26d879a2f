/**
 * The reads behind inbox.onEvent, shared by every inbox subscription of one instance
 * (docs/ARCHITECTURE.md, "Real-time", Inbox). A change signals the inbox topic of each
 * member; rather than every subscriber reading its own summary (four queries each, ~50 a
 * message in a group of ten), the first one to ask starts one read of the conversation for
 * every member listening here (`memberSummaries`), and the others take theirs from it.
 *
 * Freshness is what it was with a read per subscriber: a subscriber only takes a read that
 * started after its signal arrived, and a signal arrives after its commit, so the summary
 * it yields is never older than the change it heard of.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ApiDeps } from '../context.ts';
import type { ConversationSummary } from '../views.ts';
import { memberSummaries } from './conversations.ts';

/**
 * A finished read stays for subscribers that come late to its change (busy with an earlier
 * one) this long, and at most this many are kept (the oldest go first).
 */
const KEEP_READ_MS = 1_000;
const KEPT_READS = 1_000;

/**
 * Reads of one conversation start at least this far apart. The first change of a quiet
 * conversation is read at once; the changes that follow within this time share one read
 * when it is up, so a busy conversation's summaries refresh five times a second however
 * many messages it gets (its own stream, conversations.onEvent, still has every message at
 * once). Under fan-out the inbox reads and their frames were a third of the server's CPU
 * (1.02 against 0.68 cores at 20,000 deliveries/s without inbox streams); an unread count
 * a fifth of a second late is not something a user sees.
 */
export const INBOX_READ_INTERVAL_MS = 200;

type Summaries = { members: Set<number>; summaries: Map<number, ConversationSummary> };

interface Read {
  /**
   * The clock when it started: it reflects everything committed before any mark up to
   * startedAt - 1. Infinity while it waits for its turn: it will reflect every mark taken until then.
   */
  startedAt: number;
  /** When it started or will start (performance.now()). */
  startsAtMs: number;
  result: Promise<Summaries>;
}

export class SharedInboxReads {
  readonly #deps: ApiDeps;
  /** Moves on each read started; a mark is its value when a signal arrived. */
  #clock = 0;
  /** Users with an inbox subscription on this instance, and how many. */
  readonly #listening = new Map<number, number>();
  /** The latest read of each conversation, and of each user's own (in start order, oldest first). */
  readonly #reads = new Map<string, Read>();

  constructor(deps: ApiDeps) {
    this.#deps = deps;
  }

  /** Taken when a signal arrives: any read started after it reflects that signal's change. */
  mark(): number {
    return this.#clock;
  }

  /** Counts an inbox subscription of `userId` (before it subscribes to the bus); returns its end. */
  listen(userId: number): () => void {
    this.#listening.set(userId, (this.#listening.get(userId) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.#listening.get(userId) ?? 1) - 1;
      if (left > 0) this.#listening.set(userId, left);
      else this.#listening.delete(userId);
    };
  }

  /**
   * `userId`'s summary of a conversation, read after `mark` (a mark() taken when the signal
   * arrived); null when they are not a member. `onlyMine`: only their own state changed (a
   * read marker, a mute), so the read covers them alone (shared by their own tabs). `readAt`: the
   * clock when its read started; a signal marked before that is reflected in it too.
   */
  async summaryOf(
    conversationId: number,
    userId: number,
    mark: number,
    onlyMine = false,
  ): Promise<{ summary: ConversationSummary | null; readAt: number }> {
    const shared = this.#readAfter(mark, conversationId, onlyMine ? userId : undefined);
    const { members, summaries } = await shared.result;
    const summary = summaries.get(userId);
    if (summary || !members.has(userId) || onlyMine) return { summary: summary ?? null, readAt: shared.startedAt };
    // A member the shared read left out (not listening when it ran): a read of their own.
    const own = this.#readAfter(this.mark(), conversationId, userId);
    return { summary: (await own.result).summaries.get(userId) ?? null, readAt: own.startedAt };
  }

  /** The latest read of the conversation (for everyone listening, or for `onlyFor`) if it started after `mark`, else a new one. */
  #readAfter(mark: number, conversationId: number, onlyFor?: number): Read {
    const key = onlyFor === undefined ? `${conversationId}` : `${conversationId}:${onlyFor}`;
    const latest = this.#reads.get(key);
    if (latest && latest.startedAt > mark) return latest;
    const read = this.#read(
      conversationId,
      onlyFor === undefined ? (id) => this.#listening.has(id) : (id) => id === onlyFor,
      latest ? latest.startsAtMs + (this.#deps.inboxReadIntervalMs ?? INBOX_READ_INTERVAL_MS) : 0,
    );
    this.#reads.delete(key);
    this.#reads.set(key, read);
    if (this.#reads.size > KEPT_READS) {
      const oldest = this.#reads.keys().next();
      if (!oldest.done) this.#reads.delete(oldest.value);
    }
    const forget = () => {
      if (this.#reads.get(key) === read) this.#reads.delete(key);
    };
    // A failed read is not kept: the next subscriber tries again.
    read.result.then(() => setTimeout(forget, KEEP_READ_MS).unref(), forget);
    return read;
  }

  /** A read that starts at `notBeforeMs` (performance.now()), or now if that has passed. */
  #read(conversationId: number, wanted: (userId: number) => boolean, notBeforeMs: number): Read {
    const { db, presence } = this.#deps;
    const now = performance.now();
    const read = { startedAt: Number.POSITIVE_INFINITY, startsAtMs: Math.max(now, notBeforeMs) };
    const start = () => {
      read.startedAt = ++this.#clock;
      // A fork of its own: a read never shares an identity map with another.
      return memberSummaries(db.em.fork(), presence, conversationId, wanted);
    };
    const waitMs = read.startsAtMs - now;
    return Object.assign(read, { result: waitMs > 0 ? delay(waitMs).then(start) : start() });
  }
}

const perInstance = new WeakMap<ApiDeps, SharedInboxReads>();

/** The shared inbox reads of the instance these deps belong to. */
export function sharedInboxReads(deps: ApiDeps): SharedInboxReads {
  let reads = perInstance.get(deps);
  if (!reads) {
    reads = new SharedInboxReads(deps);
    perInstance.set(deps, reads);
  }
  return reads;
}
