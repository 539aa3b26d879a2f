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
import type { ApiDeps } from '../context.ts';
import type { ConversationSummary } from '../views.ts';
import { memberSummaries } from './conversations.ts';

/**
 * A finished read stays for subscribers that come late to its change (busy with an earlier
 * one) this long, and at most this many are kept (the oldest go first).
 */
const KEEP_READ_MS = 1_000;
const KEPT_READS = 1_000;

interface Read {
  /** The clock when it started: it reflects everything committed before any mark up to startedAt - 1. */
  startedAt: number;
  result: Promise<{ members: Set<number>; summaries: Map<number, ConversationSummary> }>;
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
   * read marker), so the read covers them alone (shared by their own tabs).
   */
  async summaryOf(conversationId: number, userId: number, mark: number, onlyMine = false): Promise<ConversationSummary | null> {
    const { members, summaries } = await this.#readAfter(mark, conversationId, onlyMine ? userId : undefined).result;
    const summary = summaries.get(userId);
    if (summary || !members.has(userId) || onlyMine) return summary ?? null;
    // A member the shared read left out (not listening when it ran): a read of their own.
    return (await this.#readAfter(this.mark(), conversationId, userId).result).summaries.get(userId) ?? null;
  }

  /** The latest read of the conversation (for everyone listening, or for `onlyFor`) if it started after `mark`, else a new one. */
  #readAfter(mark: number, conversationId: number, onlyFor?: number): Read {
    const key = onlyFor === undefined ? `${conversationId}` : `${conversationId}:${onlyFor}`;
    const latest = this.#reads.get(key);
    if (latest && latest.startedAt > mark) return latest;
    const read = this.#read(conversationId, onlyFor === undefined ? (id) => this.#listening.has(id) : (id) => id === onlyFor);
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

  #read(conversationId: number, wanted: (userId: number) => boolean): Read {
    this.#clock += 1;
    const { db, presence } = this.#deps;
    // A fork of its own: a read never shares an identity map with another.
    return { startedAt: this.#clock, result: memberSummaries(db.em.fork(), presence, conversationId, wanted) };
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
