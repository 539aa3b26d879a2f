/**
 * The live streams (docs/ARCHITECTURE.md, "Events and delivery"). Each is an async
 * generator that subscribes to the bus *before* it reads the database, so nothing
 * committed in between can be missed, and that ends when `signal` aborts.
 */
import { ConversationEventSchema, findUser, ParticipantSchema } from '@parley/db';
import type { Actor, ApiDeps } from '../context.ts';
import { isDatabaseUnavailable } from '../errors.ts';
import { Mailbox } from '../realtime/mailbox.ts';
import { recoveriesOf } from '../realtime/recoveries.ts';
import { conversationTopic, inboxTopic, type ConversationSignal, type InboxSignal } from '../realtime/topics.ts';
import { eventView, type ConversationEventView, type ConversationSummary } from '../views.ts';
import { listConversations } from './conversations.ts';
import { sharedInboxReads } from './inbox-reads.ts';

const BACKFILL_PAGE = 500;

/**
 * Who a live stream is for: only what it needs of the call. A generator keeps its
 * arguments for its whole life, and a call's context (its EntityManager fork, the User
 * entity) is about 5 KiB per open stream; `subscriberOf(ctx)` is a few bytes.
 */
export interface Subscriber {
  deps: ApiDeps;
  user: { id: number };
}

export const subscriberOf = (actor: Actor): Subscriber => ({ deps: actor.deps, user: { id: actor.user.id } });

/**
 * A read a live stream needs before it can go on, tried again while the database is
 * unavailable (a stream outlives an outage: it waits, then repairs what it missed) until the
 * subscriber leaves. Other errors end the stream.
 */
async function untilAnswered<T>(signal: AbortSignal, read: () => Promise<T>): Promise<T> {
  for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 2_000)) {
    try {
      return await read();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || signal.aborted) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/**
 * Events of a conversation with seq in (after, upTo], in order, from the database.
 * `afterLostSignals`: a repair after a resync or an overflow, whose reads take their turn
 * among the instance's recoveries.
 */
async function* eventsFromLog(deps: ApiDeps, signal: AbortSignal, conversationId: number, after: number, upTo: number, afterLostSignals: boolean) {
  for (let last = after; ; ) {
    // A fresh fork per page: a subscription can live for days, its identity map must not.
    const read = () =>
      deps.db.em.fork().find(
        ConversationEventSchema,
        { conversation: conversationId, seq: { $gt: last, $lte: upTo } },
        { orderBy: { seq: 'asc' }, limit: BACKFILL_PAGE, populate: ['message'] },
      );
    const page = await untilAnswered(signal, afterLostSignals ? () => recoveriesOf(deps).run(signal, read) : read);
    if (!page) return;
    for (const event of page) yield eventView(event);
    const lastInPage = page.at(-1);
    if (!lastInPage || page.length < BACKFILL_PAGE) return;
    last = lastInPage.seq;
  }
}

type EventSignal = Extract<ConversationSignal, { kind: 'event' }>;

/**
 * How long a conversation stream holds events that arrived past a gap, waiting for the
 * missing ones from the bus before it reads them from the log. Events committed in seq order
 * can reach the bus out of it: on PostgreSQL the replies of two groups of sends to one
 * conversation arrive on different connections, and Redis orders the publishes of several
 * instances as they come. The missing event then follows within a turn or two; reading it
 * from the log instead had cost every subscriber a read, and at 20,000 deliveries/s on
 * PostgreSQL such reads (1,800 in a second) were what the server was busy with.
 */
export const GAP_GRACE_MS = 100;

/** The event after which `userId` no longer belongs to the conversation. */
export const endsMembershipOf = (event: ConversationEventView, userId: number) =>
  (event.type === 'participant.removed' || event.type === 'participant.left') && event.payload?.userId === userId;

/**
 * Every durable event of one conversation after seq `after`, in seq order,
 * with no gap and no duplicate: backfill from the log, then live events from the bus,
 * dropping seqs already yielded, putting events that arrive out of order back in order, and
 * filling any gap that does not close by itself within GAP_GRACE_MS (a lost pub/sub message)
 * or at once (an overflow, a Redis outage) from the log before going on. Ends after the
 * event that removes me, unless I am a member again by then: someone removed (or who left)
 * and added back replays their removal whenever they resume from before it, and reads on.
 */
export async function* conversationEvents(
  { deps, user }: Subscriber,
  conversationId: number,
  after: number,
  signal: AbortSignal,
): AsyncGenerator<ConversationEventView> {
  // The signals themselves, shared by every subscriber on this instance: nothing is made per subscriber.
  const mailbox = new Mailbox<EventSignal | 'resync'>(signal);
  const unsubscribe = deps.bus.subscribe(conversationTopic(conversationId), (signalled) => {
    if (signalled.kind === 'event') mailbox.push(signalled);
  });
  const unsubscribeResync = deps.bus.onResync(() => mailbox.push('resync'));
  // After an event that removed me: whether I am still out (not added back since), so the stream ends.
  const stillOut = async () =>
    (await untilAnswered(signal, () => deps.db.em.fork().count(ParticipantSchema, { conversation: conversationId, user: user.id }))) === 0;
  const removedMe = (event: ConversationEventView) => endsMembershipOf(event, user.id);
  try {
    // Subscribed for real (Redis confirmed it) before reading the log: nothing falls between.
    await deps.bus.ready();
    let last = after;
    // Yields what the log holds after `last` (up to `upTo`), moving `last` along.
    const repair = async function* ({ upTo = Number.MAX_SAFE_INTEGER, afterLostSignals = false } = {}) {
      for await (const event of eventsFromLog(deps, signal, conversationId, last, upTo, afterLostSignals)) {
        last = event.seq;
        yield event;
      }
    };

    // Backfill everything committed after what the client has.
    for await (const event of repair()) {
      yield event;
      if (removedMe(event) && (await stillOut())) return;
    }
    // Events that came past a gap, by seq, held until the gap fills or GAP_GRACE_MS runs out.
    const held = new Map<number, EventSignal>();
    let heldUntil = 0;
    // A bus event as it is yielded. The send→deliver latency of a message is measured here, as
    // it leaves for tRPC's WebSocket adapter, which writes it to the socket in the same tick.
    const live = ({ event, committedAt }: EventSignal) => {
      if (committedAt !== undefined && event.type === 'message.created') deps.metrics.delivered(committedAt);
      last = event.seq;
      return event;
    };
    // The held events that now follow `last`, in order.
    const release = function* () {
      for (let next = held.get(last + 1); next; next = held.get(last + 1)) {
        held.delete(next.event.seq);
        yield live(next);
      }
      for (const seq of held.keys()) if (seq <= last) held.delete(seq);
    };

    for (;;) {
      const taken = await mailbox.take(held.size > 0 ? heldUntil - performance.now() : undefined);
      if (!taken) return;
      if (taken.overflowed || taken.items.includes('resync')) {
        for await (const event of repair({ afterLostSignals: true })) {
          yield event;
          if (removedMe(event) && (await stillOut())) return;
        }
        for (const event of release()) {
          yield event;
          if (removedMe(event) && (await stillOut())) return;
        }
      }
      for (const item of taken.items) {
        if (item === 'resync' || item.event.seq <= last) continue;
        if (item.event.seq > last + 1) {
          if (held.size === 0) heldUntil = performance.now() + GAP_GRACE_MS;
          held.set(item.event.seq, item);
          continue;
        }
        // The next seq, as nearly every event is: yielded at once, without passing through `held`.
        const event = live(item);
        yield event;
        if (removedMe(event) && (await stillOut())) return;
        if (held.size === 0) continue;
        for (const released of release()) {
          yield released;
          if (removedMe(released) && (await stillOut())) return;
        }
      }
      if (held.size > 0 && performance.now() >= heldUntil) {
        // The gap did not fill from the bus: what is missing is committed (it was published
        // after its commit, and a later seq commits after it), so the log has it.
        for await (const missed of repair({ upTo: Math.min(...held.keys()) - 1 })) {
          yield missed;
          if (removedMe(missed) && (await stillOut())) return;
        }
        for (const event of release()) {
          yield event;
          if (removedMe(event) && (await stillOut())) return;
        }
        heldUntil = performance.now() + GAP_GRACE_MS;
      }
    }
  } finally {
    unsubscribe();
    unsubscribeResync();
    mailbox.close();
  }
}

/** How long a typing signal lasts without a refresh. */
export const TYPING_TTL_MS = 6_000;

/**
 * Who is typing in a conversation now (me excluded): first who is typing as it starts (the
 * typing signals presence keeps, on every instance), then on every change. A user is
 * typing from their setTyping(true) until setTyping(false), a message from them, their
 * leaving or removal, or TYPING_TTL_MS without a refresh.
 */
export async function* typingUsers(
  { deps, user }: Subscriber,
  conversationId: number,
  signal: AbortSignal,
  ttlMs = TYPING_TTL_MS,
): AsyncGenerator<{ userIds: number[] }> {
  const typingUntil = new Map<number, number>();
  const mailbox = new Mailbox<{ userId: number; typing: boolean } | 'tick'>(signal);
  let timer: NodeJS.Timeout | undefined;
  const unsubscribe = deps.bus.subscribe(conversationTopic(conversationId), (signalled) => {
    if (signalled.kind === 'typing') mailbox.push({ userId: signalled.userId, typing: signalled.typing });
    else if (signalled.kind === 'event') {
      // A message ends its sender's typing; leaving or being removed ends a member's.
      const { type, actorId, payload } = signalled.event;
      if (type === 'message.created') mailbox.push({ userId: actorId, typing: false });
      else if ((type === 'participant.removed' || type === 'participant.left') && payload?.userId !== undefined) {
        mailbox.push({ userId: payload.userId, typing: false });
      }
    }
  });
  const current = () => ({ userIds: [...typingUntil.keys()].sort((a, b) => a - b) });
  // One timer, for the next expiry.
  const scheduleExpiry = (now: number) => {
    clearTimeout(timer);
    const next = Math.min(...typingUntil.values());
    if (Number.isFinite(next)) timer = setTimeout(() => mailbox.push('tick'), Math.max(0, next - now) + 1);
  };
  try {
    // Subscribed before reading who is typing: a change in between is not missed.
    await deps.bus.ready();
    const typingNow = await deps.presence.typingIn(conversationId);
    const readAt = Date.now();
    for (const [userId, msLeft] of typingNow) if (userId !== user.id) typingUntil.set(userId, readAt + msLeft);
    scheduleExpiry(readAt);
    yield current();
    for (;;) {
      const taken = await mailbox.take();
      if (!taken) return;
      const before = current().userIds.join();
      const now = Date.now();
      for (const item of taken.items) {
        if (item === 'tick' || item.userId === user.id) continue;
        if (item.typing) typingUntil.set(item.userId, now + ttlMs);
        else typingUntil.delete(item.userId);
      }
      for (const [userId, until] of typingUntil) if (until <= now) typingUntil.delete(userId);
      scheduleExpiry(now);
      if (current().userIds.join() !== before) yield current();
    }
  } finally {
    clearTimeout(timer);
    unsubscribe();
    mailbox.close();
  }
}

export interface ReadReceipt {
  userId: number;
  /** They have read every message up to this seq. */
  lastReadSeq: number;
}

/**
 * How far the other members have read (read receipts): first everyone's marker, then each
 * marker that moves. A member moves it by marking read, and by sending (sending a message
 * means having read what came before it).
 */
export async function* readReceipts({ deps, user }: Subscriber, conversationId: number, signal: AbortSignal): AsyncGenerator<ReadReceipt[]> {
  const mailbox = new Mailbox<ReadReceipt | 'resync'>(signal);
  const unsubscribe = deps.bus.subscribe(conversationTopic(conversationId), (signalled) => {
    if (signalled.kind === 'read') mailbox.push({ userId: signalled.userId, lastReadSeq: signalled.lastReadSeq });
    else if (signalled.kind === 'event' && signalled.event.type === 'message.created') {
      mailbox.push({ userId: signalled.event.actorId, lastReadSeq: signalled.event.seq });
    }
  });
  const unsubscribeResync = deps.bus.onResync(() => mailbox.push('resync'));
  const known = new Map<number, number>();
  /** The markers that moved forward (signals can arrive out of order across instances). */
  const advance = (receipts: readonly ReadReceipt[]) => {
    const moved: ReadReceipt[] = [];
    for (const receipt of receipts) {
      if (receipt.userId === user.id || receipt.lastReadSeq <= (known.get(receipt.userId) ?? -1)) continue;
      known.set(receipt.userId, receipt.lastReadSeq);
      moved.push(receipt);
    }
    return moved;
  };
  const fromDatabase = async () => {
    const members = await deps.db.em.fork().find(ParticipantSchema, { conversation: conversationId, user: { $ne: user.id } });
    return members.map((member) => ({ userId: member.user.id, lastReadSeq: member.lastReadSeq }));
  };
  try {
    // Subscribed before reading the markers: a move in between is not missed.
    await deps.bus.ready();
    yield advance(await fromDatabase());
    for (;;) {
      const taken = await mailbox.take();
      if (!taken) return;
      const signals = taken.items.filter((item) => item !== 'resync');
      // Signals may have been lost (overflow, a Redis outage): the database knows.
      const lost = taken.overflowed || signals.length < taken.items.length;
      const stored = lost ? await recoveriesOf(deps).run(signal, fromDatabase) : [];
      if (!stored) return;
      const moved = advance(stored.length > 0 ? [...signals, ...stored] : signals);
      if (moved.length > 0) yield moved;
    }
  } finally {
    unsubscribe();
    unsubscribeResync();
    mailbox.close();
  }
}

/** Tells the conversation's subscribers, on every instance, that I started or stopped typing. */
export async function publishTyping(deps: ApiDeps, userId: number, conversationId: number, typing: boolean): Promise<void> {
  const ttlMs = deps.typingTtlMs ?? TYPING_TTL_MS;
  // Kept before it is published: a subscriber that starts too late to hear it reads it instead.
  await deps.presence.setTyping(userId, conversationId, typing, ttlMs);
  await deps.bus.publish(conversationTopic(conversationId), { kind: 'typing', userId, typing }).catch(() => undefined);
}

export type InboxEvent =
  | { type: 'conversation.changed' | 'conversation.added'; conversation: ConversationSummary }
  | { type: 'conversation.removed'; conversationId: number }
  | { type: 'presence'; userId: number; online: boolean };

/** How many of my most recent conversations an inbox stream re-reads after losing signals. */
export const INBOX_REFRESH_LIMIT = 100;
/** Conversations an inbox stream remembers having shown, to tell after lost signals which I left. */
const INBOX_SHOWN_MAX = 1_000;
/** Shown from a re-read, not a shared read: no signal counts as reflected in it. */
const NOT_READ = Number.NEGATIVE_INFINITY;

/** A signal as the inbox stream buffers it: with the mark of when it arrived. */
interface Heard {
  signal: InboxSignal;
  mark: number;
}

/**
 * My inbox, live: a conversation of mine changed or appeared (with its fresh summary and
 * unread count), I left or was removed, or someone I share a conversation with came online
 * or went offline. No replay: after a reconnect the client refetches conversations.list.
 *
 * Summaries are read once per change for every subscriber on this instance (inbox-reads.ts).
 * After lost signals (a full mailbox, a bus outage) it re-reads my most recent
 * conversations and tells which of those it has shown I am no longer in.
 */
export async function* inboxEvents({ deps, user }: Subscriber, signal: AbortSignal): AsyncGenerator<InboxEvent> {
  const reads = sharedInboxReads(deps);
  // Counted as listening before subscribing: a read started after any signal includes me.
  const stopListening = reads.listen(user.id);
  const mailbox = new Mailbox<Heard | 'resync'>(signal, 1_000);
  const unsubscribe = deps.bus.subscribe(inboxTopic(user.id), (signalled) => mailbox.push({ signal: signalled, mark: reads.mark() }));
  const unsubscribeResync = deps.bus.onResync(() => mailbox.push('resync'));
  /**
   * Conversations yielded as mine, oldest first, each with the clock of the read it was
   * yielded from (NOT_READ: a re-read's): a signal marked before that is already shown.
   */
  const shown = new Map<number, number>();
  const show = (conversationId: number, readAt: number) => {
    shown.delete(conversationId);
    shown.set(conversationId, readAt);
    const oldest = shown.size > INBOX_SHOWN_MAX ? shown.keys().next() : undefined;
    if (oldest && !oldest.done) shown.delete(oldest.value);
  };
  /** What my inbox is now, as far as lost signals may have changed it: my most recent conversations, and which of the others shown are still mine. */
  const reread = async () => {
    const em = deps.db.em.fork();
    const me = await findUser(em, user.id);
    if (!me) return null;
    const recent = await listConversations({ deps, em, user: me }, { limit: INBOX_REFRESH_LIMIT });
    const recentIds = new Set(recent.items.map((conversation) => conversation.id));
    const others = [...shown.keys()].filter((id) => !recentIds.has(id));
    const stillMine = others.length
      ? new Set(
          (await em.find(ParticipantSchema, { user: user.id, conversation: { $in: others } }, { fields: ['conversation'] })).map(
            (membership) => membership.conversation.id,
          ),
        )
      : new Set<number>();
    return { recent: recent.items, gone: others.filter((id) => !stillMine.has(id)) };
  };
  const refresh = async function* (): AsyncGenerator<InboxEvent> {
    const now = await recoveriesOf(deps).run(signal, reread);
    if (!now) return;
    for (const conversationId of now.gone) {
      shown.delete(conversationId);
      yield { type: 'conversation.removed', conversationId };
    }
    for (const conversation of now.recent) {
      show(conversation.id, NOT_READ);
      yield { type: 'conversation.changed', conversation };
    }
  };
  try {
    await deps.bus.ready();
    for (;;) {
      const taken = await mailbox.take();
      if (!taken) return;
      const heard = taken.items.filter((item) => item !== 'resync');
      if (taken.overflowed || heard.length < taken.items.length) yield* refresh();
      // A change a summary already yielded reflects needs no other (reads of a busy conversation are spaced out: inbox-reads.ts).
      const items = coalesce(heard).filter(({ signal: item, mark }) => item.kind === 'presence' || (shown.get(item.conversationId) ?? NOT_READ) <= mark);
      // Every read asked for at once, so subscribers woken by the same change share one.
      const summaries = items.map(({ signal: item, mark }) =>
        item.kind === 'presence'
          ? null
          : reads.summaryOf(item.conversationId, user.id, mark, item.kind === 'changed' && item.onlyMine === true),
      );
      // Awaited in order below; one failing while an earlier one is awaited is not unhandled.
      for (const summary of summaries) summary?.catch(() => undefined);
      for (const [index, { signal: item }] of items.entries()) {
        if (item.kind === 'presence') {
          yield { type: 'presence', userId: item.userId, online: item.online };
          continue;
        }
        const read = await summaries[index];
        const conversation = read?.summary;
        if (!read || !conversation) {
          shown.delete(item.conversationId);
          yield { type: 'conversation.removed', conversationId: item.conversationId };
        } else if (item.kind !== 'removed') {
          // (A 'removed' while I am a member: I was added back since; that change says so.)
          show(conversation.id, read.readAt);
          yield { type: item.kind === 'added' ? 'conversation.added' : 'conversation.changed', conversation };
        }
      }
    }
  } finally {
    stopListening();
    unsubscribe();
    unsubscribeResync();
    mailbox.close();
  }
}

/**
 * One summary per conversation per batch: ten messages in a burst need one fresh read, not
 * ten, taken after the latest of them arrived.
 */
function coalesce(items: Heard[]): Heard[] {
  const latest = new Map<string, Heard>();
  for (const item of items) {
    const { signal } = item;
    const key = signal.kind === 'presence' ? `presence:${signal.userId}` : `conversation:${signal.conversationId}`;
    const previous = latest.get(key)?.signal;
    latest.delete(key);
    // 'added' stays 'added' when later changes of the same conversation follow in the batch,
    // and a read for me alone will not do when a change for everyone came in the same batch.
    const kept =
      previous?.kind === 'added' && signal.kind === 'changed'
        ? previous
        : signal.kind === 'changed' && previous?.kind === 'changed' && !previous.onlyMine
          ? { ...signal, onlyMine: false }
          : signal;
    latest.set(key, { signal: kept, mark: item.mark });
  }
  return [...latest.values()];
}
