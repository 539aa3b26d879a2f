/** Group management and read state. Every durable change is logged with the next seq. */
import {
  appendEvent,
  lockConversation,
  ParticipantSchema,
  UserSchema,
  type Conversation,
  type EntityManager,
  type Participant,
  type ParticipantRole,
  type User,
} from '@parley/db';
import { TRPCError } from '@trpc/server';
import { INPUT_LIMITS } from '../limits.ts';
import type { Presence } from '../realtime/presence.ts';
import type { ConversationView } from '../views.ts';
import { conversationDetail, unreadCounts } from './conversations.ts';
import { badInput, conversationNotFound } from '../errors.ts';

/**
 * Runs `work` in a transaction holding the conversation's write lock, after checking
 * again, under the lock, that `me` is still a member: a change racing my removal is
 * refused rather than written after it.
 */
export async function withLockedConversation<T>(
  em: EntityManager,
  conversationId: number,
  me: User,
  work: (tx: EntityManager, conversation: Conversation) => Promise<T>,
): Promise<T> {
  return em.transactional(async (tx) => {
    const conversation = await lockConversation(tx, conversationId);
    const stillMember =
      conversation && (await tx.count(ParticipantSchema, { conversation: conversationId, user: me.id })) > 0;
    if (!conversation || !stillMember) throw conversationNotFound();
    return work(tx, conversation);
  });
}

const canManage = (membership: Participant) => membership.role === 'owner' || membership.role === 'admin';

/** Only owners and admins of a group may change it; nobody may change a DM or notes to self. */
function requireGroupManager(membership: Participant): void {
  if (membership.conversation.getEntity().kind !== 'group') {
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
  em: EntityManager,
  presence: Presence,
  me: User,
  membership: Participant,
  change: (tx: EntityManager, conversation: Conversation) => Promise<void>,
): Promise<ConversationView> {
  requireGroupManager(membership);
  const conversation = await withLockedConversation(em, membership.conversation.id, me, async (tx, conversation) => {
    await change(tx, conversation);
    return conversation;
  });
  return conversationDetail(em, presence, conversation, me);
}

export function renameConversation(em: EntityManager, presence: Presence, me: User, membership: Participant, title: string) {
  return changeGroup(em, presence, me, membership, async (tx, conversation) => {
    if (conversation.title === title) return;
    conversation.title = title;
    appendEvent(tx, conversation, { type: 'conversation.renamed', actorId: me.id, payload: { title } });
  });
}

export function addParticipants(em: EntityManager, presence: Presence, me: User, membership: Participant, userIds: number[]) {
  return changeGroup(em, presence, me, membership, async (tx, conversation) => {
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
    appendEvent(tx, conversation, {
      type: 'participants.added',
      actorId: me.id,
      payload: { userIds: added.map((user) => user.id) },
    });
  });
}

export function removeParticipant(em: EntityManager, presence: Presence, me: User, membership: Participant, userId: number) {
  return changeGroup(em, presence, me, membership, async (tx, conversation) => {
    if (userId === me.id) throw badInput('userId', 'To remove yourself, leave the conversation');
    const target = await tx.findOne(ParticipantSchema, { conversation: conversation.id, user: userId });
    if (!target) throw new TRPCError({ code: 'NOT_FOUND', message: 'That user is not a member' });
    // Admins manage members; only the owner removes admins; nobody removes the owner.
    if (target.role === 'owner' || (target.role === 'admin' && membership.role !== 'owner')) {
      throw new TRPCError({ code: 'FORBIDDEN', message: `You cannot remove the group's ${target.role}` });
    }
    tx.remove(target);
    appendEvent(tx, conversation, { type: 'participant.removed', actorId: me.id, payload: { userId } });
  });
}

/** Owner only: makes a member an admin or an admin a member again. */
export async function setParticipantRole(
  em: EntityManager,
  presence: Presence,
  me: User,
  membership: Participant,
  input: { userId: number; role: Exclude<ParticipantRole, 'owner'> },
): Promise<ConversationView> {
  requireGroupManager(membership);
  if (membership.role !== 'owner') throw new TRPCError({ code: 'FORBIDDEN', message: 'Only the owner can change roles' });
  if (input.userId === me.id) throw badInput('userId', 'The owner keeps the owner role');
  await em.transactional(async (tx) => {
    const target = await tx.findOne(ParticipantSchema, { conversation: membership.conversation.id, user: input.userId });
    if (!target) throw new TRPCError({ code: 'NOT_FOUND', message: 'That user is not a member' });
    target.role = input.role;
  });
  return conversationDetail(em, presence, membership.conversation.getEntity(), me);
}

/**
 * Leaves a group. When the owner leaves, the longest-standing admin (or else member)
 * becomes the owner, so a group with members always has one.
 */
export async function leaveConversation(em: EntityManager, me: User, membership: Participant): Promise<{ left: true }> {
  if (membership.conversation.getEntity().kind !== 'group') {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'You can only leave groups' });
  }
  await withLockedConversation(em, membership.conversation.id, me, async (tx, conversation) => {
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
    appendEvent(tx, conversation, { type: 'participant.left', actorId: me.id, payload: { userId: me.id, newOwnerId } });
  });
  return { left: true };
}

/** Moves my read marker forward (never back, never past the end). */
export async function markRead(
  em: EntityManager,
  me: User,
  membership: Participant,
  seq: number,
): Promise<{ lastReadSeq: number; unreadCount: number }> {
  const conversation = membership.conversation.getEntity();
  const target = Math.min(seq, conversation.lastSeq);
  // One conditional UPDATE: concurrent marks from two tabs can only move it forward.
  await em.nativeUpdate(
    ParticipantSchema,
    { conversation: conversation.id, user: me.id, lastReadSeq: { $lt: target } },
    { lastReadSeq: target },
  );
  const fresh = await em.findOneOrFail(ParticipantSchema, { conversation: conversation.id, user: me.id }, { refresh: true });
  const unread = await unreadCounts(em, me, [conversation.id]);
  return { lastReadSeq: fresh.lastReadSeq, unreadCount: unread.get(conversation.id) ?? 0 };
}
