/** Group management and read state. Every durable change is logged with the next seq. */
import {
  appendEvent,
  lockConversation,
  ParticipantSchema,
  unreadCountsOf,
  UserSchema,
  type Conversation,
  type ConversationEvent,
  type EntityManager,
  type NewEvent,
  type MembershipRow,
  type ParticipantRole,
} from '@parley/db';
import { TRPCError } from '@trpc/server';
import { INPUT_LIMITS } from '../limits.ts';
import type { Actor } from '../context.ts';
import { publishAfterCommit } from '../realtime/publish.ts';
import { conversationTopic, inboxTopic } from '../realtime/topics.ts';
import { conversationRowOf, eventView, iso, type ConversationView } from '../views.ts';
import { conversationDetail } from './conversations.ts';
import { badInput, conversationNotFound } from '../errors.ts';

/** Appends to a locked conversation's log, remembering what to publish after the commit. */
export interface ConversationLog {
  append(event: NewEvent): ConversationEvent;
}

/**
 * Runs `work` in a transaction holding the conversation's write lock, after checking
 * again, under the lock, that the actor is still a member (a change racing their removal
 * is refused, not written after it). The events `work` appends are published once the
 * transaction has committed: never before, so nobody sees what is not durable.
 */
export async function withLockedConversation<T>(
  actor: Actor,
  conversationId: number,
  work: (tx: EntityManager, conversation: Conversation, log: ConversationLog) => Promise<T>,
): Promise<T> {
  const appended: ConversationEvent[] = [];
  const result = await actor.em.transactional(async (tx) => {
    const conversation = await lockConversation(tx, conversationId);
    const stillMember =
      conversation && (await tx.count(ParticipantSchema, { conversation: conversationId, user: actor.user.id })) > 0;
    if (!conversation || !stillMember) throw conversationNotFound();
    const log: ConversationLog = {
      append: (event) => {
        const appendedEvent = appendEvent(tx, conversation, event);
        appended.push(appendedEvent);
        return appendedEvent;
      },
    };
    return work(tx, conversation, log);
  });
  await publishAfterCommit(actor.deps, { conversationId, events: appended.map(eventView) });
  return result;
}

const canManage = (membership: MembershipRow) => membership.role === 'owner' || membership.role === 'admin';

/** Only owners and admins of a group may change it; nobody may change a DM or notes to self. */
function requireGroupManager(membership: MembershipRow): void {
  if (membership.conversation.kind !== 'group') {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Only groups can be changed' });
  }
  if (!canManage(membership)) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Only the owner and admins of a group can do that' });
  }
}

/**
 * A change to a group by one of its owners/admins: permission checked, applied and
 * logged under the conversation lock, answered with the fresh detail.
 */
async function changeGroup(
  actor: Actor,
  membership: MembershipRow,
  change: (tx: EntityManager, conversation: Conversation, log: ConversationLog) => Promise<void>,
): Promise<ConversationView> {
  requireGroupManager(membership);
  const conversation = await withLockedConversation(actor, membership.conversation.id, async (tx, conversation, log) => {
    await change(tx, conversation, log);
    return conversation;
  });
  return conversationDetail(actor, conversationRowOf(conversation));
}

export function renameConversation(actor: Actor, membership: MembershipRow, title: string) {
  return changeGroup(actor, membership, async (_tx, conversation, log) => {
    if (conversation.title === title) return;
    conversation.title = title;
    log.append({ type: 'conversation.renamed', actorId: actor.user.id, payload: { title } });
  });
}

export function addParticipants(actor: Actor, membership: MembershipRow, userIds: number[]) {
  return changeGroup(actor, membership, async (tx, conversation, log) => {
    const wanted = [...new Set(userIds)];
    const users = await tx.find(UserSchema, { id: { $in: wanted } });
    if (users.length !== wanted.length) throw badInput('userIds', 'Some of those users do not exist');
    const current = await tx.find(ParticipantSchema, { conversation: conversation.id });
    const present = new Set(current.map((member) => member.user.id));
    const added = users.filter((user) => !present.has(user.id));
    if (current.length + added.length > INPUT_LIMITS.groupSizeMax) {
      throw badInput('userIds', `A group can have at most ${INPUT_LIMITS.groupSizeMax} members`);
    }
    if (added.length === 0) return;
    // Newcomers can read the history, but it is not unread for them.
    for (const user of added) {
      tx.create(ParticipantSchema, { conversation, user, role: 'member', lastReadSeq: conversation.lastSeq });
    }
    log.append({ type: 'participants.added', actorId: actor.user.id, payload: { userIds: added.map((user) => user.id) } });
  });
}

export function removeParticipant(actor: Actor, membership: MembershipRow, userId: number) {
  return changeGroup(actor, membership, async (tx, conversation, log) => {
    if (userId === actor.user.id) throw badInput('userId', 'To remove yourself, leave the conversation');
    const target = await tx.findOne(ParticipantSchema, { conversation: conversation.id, user: userId });
    if (!target) throw new TRPCError({ code: 'NOT_FOUND', message: 'That user is not a member' });
    // Admins manage members; only the owner removes admins; nobody removes the owner.
    if (target.role === 'owner' || (target.role === 'admin' && membership.role !== 'owner')) {
      // A group has one owner but may have several admins.
      const message = target.role === 'owner' ? "You cannot remove the group's owner" : 'You cannot remove an admin of the group';
      throw new TRPCError({ code: 'FORBIDDEN', message });
    }
    tx.remove(target);
    log.append({ type: 'participant.removed', actorId: actor.user.id, payload: { userId } });
  });
}

/** Owner only: makes a member an admin or an admin a member again. */
export function setParticipantRole(
  actor: Actor,
  membership: MembershipRow,
  input: { userId: number; role: Exclude<ParticipantRole, 'owner'> },
): Promise<ConversationView> {
  requireGroupManager(membership);
  if (membership.role !== 'owner') throw new TRPCError({ code: 'FORBIDDEN', message: 'Only the owner can change roles' });
  if (input.userId === actor.user.id) throw badInput('userId', 'The owner keeps the owner role');
  return changeGroup(actor, membership, async (tx, conversation, log) => {
    const target = await tx.findOne(ParticipantSchema, { conversation: conversation.id, user: input.userId });
    if (!target) throw new TRPCError({ code: 'NOT_FOUND', message: 'That user is not a member' });
    if (target.role === input.role) return;
    target.role = input.role;
    log.append({ type: 'participant.role_changed', actorId: actor.user.id, payload: { userId: input.userId, role: input.role } });
  });
}

/**
 * Leaves a group. When the owner leaves, the longest-standing admin (or else member)
 * becomes the owner, so a group with members always has one.
 */
export async function leaveConversation(actor: Actor, membership: MembershipRow): Promise<{ left: true }> {
  const me = actor.user;
  if (membership.conversation.kind !== 'group') {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'You can only leave groups' });
  }
  await withLockedConversation(actor, membership.conversation.id, async (tx, conversation, log) => {
    const members = await tx.find(ParticipantSchema, { conversation: conversation.id }, { orderBy: { joinedAt: 'asc', user: 'asc' } });
    const mine = members.find((member) => member.user.id === me.id);
    if (!mine) throw conversationNotFound();
    const rest = members.filter((member) => member !== mine);
    let newOwnerId: number | null = null;
    if (mine.role === 'owner') {
      const heir = rest.find((member) => member.role === 'admin') ?? rest[0];
      if (heir) {
        heir.role = 'owner';
        newOwnerId = heir.user.id;
      }
    }
    tx.remove(mine);
    log.append({ type: 'participant.left', actorId: me.id, payload: { userId: me.id, newOwnerId } });
  });
  return { left: true };
}

/**
 * Moves my read marker forward (never back, never past the end); my other tabs hear of it
 * through my inbox, the other members through the conversation (read receipts).
 */
export async function markRead(
  actor: Actor,
  membership: MembershipRow,
  seq: number,
): Promise<{ lastReadSeq: number; unreadCount: number }> {
  const { em, user: me } = actor;
  const { conversation } = membership;
  const target = Math.min(seq, conversation.lastSeq);
  // One conditional UPDATE: concurrent marks from two tabs can only move it forward.
  const moved = await em.nativeUpdate(
    ParticipantSchema,
    { conversation: conversation.id, user: me.id, lastReadSeq: { $lt: target } },
    { lastReadSeq: target },
  );
  const fresh = await em.findOneOrFail(ParticipantSchema, { conversation: conversation.id, user: me.id }, { refresh: true });
  const unread = await unreadCountsOf(em, me.id, [conversation.id]);
  if (moved > 0) {
    const { bus } = actor.deps;
    await Promise.allSettled([
      // Only my unread count changed: my inboxes read my summary alone.
      bus.publish(inboxTopic(me.id), { kind: 'changed', conversationId: conversation.id, onlyMine: true }),
      bus.publish(conversationTopic(conversation.id), { kind: 'read', userId: me.id, lastReadSeq: fresh.lastReadSeq }),
    ]);
  }
  return { lastReadSeq: fresh.lastReadSeq, unreadCount: unread.get(conversation.id) ?? 0 };
}

/**
 * Mutes or unmutes a conversation for me alone (an addition to the contract): nobody else
 * is told, and nothing is logged; my other tabs hear of it through my inbox. A mute lasts
 * until I unmute, or `forSeconds` (given only to mute) by the server's clock: views read it
 * as over after that (myPartView), nothing is written when it runs out. Notes to self have
 * nothing to mute (nothing in them is ever notified), and no app offers to unmute them.
 */
export async function setMuted(
  actor: Actor,
  membership: MembershipRow,
  muted: boolean,
  forSeconds?: number,
): Promise<Pick<ConversationView, 'muted' | 'mutedUntil'>> {
  const { em, user: me } = actor;
  const conversationId = membership.conversation.id;
  if (membership.conversation.kind === 'self') {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'Notes to self cannot be muted' });
  }
  const mutedUntil = forSeconds !== undefined ? new Date(Date.now() + forSeconds * 1000) : null;
  // Conditional, as markRead: a repeat changes nothing and tells nobody. A mute for a while
  // always ends somewhere new, so it is always a change.
  const unlessSame = mutedUntil === null ? { $or: [{ muted: !muted }, { mutedUntil: { $ne: null } }] } : {};
  const changed = await em.nativeUpdate(ParticipantSchema, { conversation: conversationId, user: me.id, ...unlessSame }, { muted, mutedUntil });
  // A bus outage does not fail the change: my other tabs see it at their next resync.
  if (changed > 0) await actor.deps.bus.publish(inboxTopic(me.id), { kind: 'changed', conversationId, onlyMine: true }).catch(() => undefined);
  return { muted, mutedUntil: mutedUntil && iso(mutedUntil) };
}
