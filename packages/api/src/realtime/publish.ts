/**
 * Commit first, then publish: the only way durable changes reach the bus. Called after a
 * transaction has committed; a failure to publish loses nothing (subscribers repair gaps
 * from the database), so it never fails the request. The bus reports outages itself, once.
 */
import { conversationMemberIds } from '@parley/db';
import type { ApiDeps } from '../context.ts';
import type { ConversationEventView } from '../views.ts';
import { wallClockMs } from './live-metrics.ts';
import type { Topic } from './bus.ts';
import { conversationTopic, inboxTopic, type InboxSignal } from './topics.ts';

export interface CommittedChange {
  conversationId: number;
  /** The events the transaction appended, in seq order. */
  events: ConversationEventView[];
  /** Users who became members without an event (a conversation was created). */
  added?: number[];
  /** The members to tell, when the write knows them (the send path, a new conversation): else every member, read here. */
  memberIds?: number[];
}

export async function publishAfterCommit(deps: ApiDeps, change: CommittedChange): Promise<void> {
  const { conversationId, events } = change;
  // Where the send→deliver latency starts: right after the commit (docs/ARCHITECTURE.md, "Live statistics").
  const committedAt = wallClockMs();
  // Each publish is settled as soon as it is made: one rejecting while the member list is
  // read below would otherwise be an unhandled rejection (and Redis being down is not a crash).
  const sends: Promise<void>[] = [];
  for (const event of events) {
    if (event.type !== 'message.created') continue;
    deps.metrics.messageCommitted();
    // A message ends its sender's typing there.
    sends.push(deps.presence.setTyping(event.actorId, conversationId, false, 0));
  }
  const added = new Set(change.added);
  const removed = new Set<number>();
  for (const event of events) {
    for (const userId of event.payload?.userIds ?? []) added.add(userId);
    if (event.type === 'participant.removed' || event.type === 'participant.left') {
      if (event.payload?.userId !== undefined) removed.add(event.payload.userId);
    }
  }
  // So does going: someone removed while typing is typing there no more.
  for (const userId of removed) sends.push(deps.presence.setTyping(userId, conversationId, false, 0));

  const publish = <Signal>(topic: Topic<Signal>, signal: Signal) => sends.push(deps.bus.publish(topic, signal).catch(() => undefined));
  for (const event of events) publish(conversationTopic(conversationId), { kind: 'event', event, committedAt });
  const members = change.memberIds ?? (await conversationMemberIds(deps.db.em, conversationId).catch(() => []));
  const inbox = (userId: number, signal: InboxSignal) => publish(inboxTopic(userId), signal);
  for (const userId of members) {
    inbox(userId, added.has(userId) ? { kind: 'added', conversationId } : { kind: 'changed', conversationId });
  }
  for (const userId of removed) inbox(userId, { kind: 'removed', conversationId });
  await Promise.all(sends);
}

/**
 * Tells everyone who shares a conversation with `userId` that they came online or went
 * offline (the inbox shows presence dots). Called by the server on presence transitions.
 */
export async function publishPresence(deps: ApiDeps, userId: number, online: boolean): Promise<void> {
  const rows: { user_id: number }[] = await deps.db.em
    .fork()
    .getConnection()
    .execute(
      `select distinct other.user_id from participants mine
         join participants other on other.conversation_id = mine.conversation_id
        where mine.user_id = ? and other.user_id <> ?`,
      [userId, userId],
    );
  await Promise.allSettled(
    rows.map((row) => deps.bus.publish(inboxTopic(Number(row.user_id)), { kind: 'presence', userId, online })),
  );
}
