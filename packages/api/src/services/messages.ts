/** Messages: history by seq, idempotent send, edit, delete as tombstone. */
import {
  findMessageByClientId,
  historyPage,
  MessageSchema,
  ParticipantSchema,
  postMessageAsMember,
  UniqueConstraintViolationException,
  unreadCountsOf,
  type EntityManager,
  type Message,
  type MembershipRow,
  type UserRow,
} from '@parley/db';
import { TRPCError } from '@trpc/server';
import { messageCreatedView, messageRowView, messageView, noticeView, type ConversationEventView, type MessageView } from '../views.ts';
import { badInput, conversationNotFound } from '../errors.ts';
import { INPUT_LIMITS } from '../limits.ts';
import { publishAfterCommit } from '../realtime/publish.ts';
import type { Actor } from '../context.ts';
import { withLockedConversation } from './membership.ts';

export interface HistoryPage {
  /** Ascending by seq. */
  items: MessageView[];
  /**
   * More exists beyond this page in the direction asked (older by default): the next page
   * is read from the furthest seq this one holds, message or notice (`before` the lowest,
   * `after` the highest).
   */
  hasMore: boolean;
  /**
   * Members added, removed or left, and renames, among these messages (ascending by seq):
   * the events from this page's oldest message to the next page's, so that consecutive
   * pages show each once, and the oldest page those before its first message too. At most
   * NOTICES_PER_PAGE of them: a span with more (a group renamed or reshuffled that often
   * between two messages) is cut at the last one kept, and the next page starts there.
   */
  notices: ConversationEventView[];
  /**
   * My read marker as the page was read: a conversation opens at the first message after it
   * ("New messages"), before opening it marks anything read.
   */
  lastReadSeq: number;
  /**
   * My unread count as the newest page was read (as the inbox counts it), loaded or not: what
   * a conversation opened with more unread than a page says is new. Null on a page read from
   * a position (`before` or `after`).
   */
  unreadCount: number | null;
}

/** Notices one history page carries at most, whatever its number of messages. */
export const NOTICES_PER_PAGE = INPUT_LIMITS.pageMax;

/** A page of history: the newest, the ones before a seq (scrolling up), or after one (catching up). */
export async function listMessages(
  em: EntityManager,
  membership: MembershipRow,
  input: { before?: number | undefined; after?: number | undefined; limit: number },
): Promise<HistoryPage> {
  if (input.before !== undefined && input.after !== undefined) {
    throw badInput('before', 'Use either before or after, not both');
  }
  const conversationId = membership.conversation.id;
  const newest = input.before === undefined && input.after === undefined;
  const [{ messages, hasMore, notices }, unread] = await Promise.all([
    historyPage(em, { conversationId, ...input, noticeLimit: NOTICES_PER_PAGE }),
    newest ? unreadCountsOf(em, membership.userId, [conversationId]) : null,
  ]);
  // Read from the end nearest the position asked for; shown ascending.
  if (input.after === undefined) messages.reverse();
  return {
    items: messages.map(messageRowView),
    hasMore,
    notices: notices.map(noticeView),
    lastReadSeq: membership.lastReadSeq,
    unreadCount: unread ? (unread.get(conversationId) ?? 0) : null,
  };
}

/**
 * Sends a message. The clientId is the idempotency key: a retry (even a concurrent one)
 * returns the message the first attempt stored. `beforeSend` (the rate limit) counts every
 * call but never refuses a retry.
 *
 * The write itself detects a retry (the clientId's unique index), so a send costs no read
 * beforehand: the earlier message is looked up only when the write or the limit refuses.
 */
export async function sendMessage(
  actor: Actor,
  membership: MembershipRow,
  input: { body: string; clientId: string },
  beforeSend: () => Promise<void>,
): Promise<MessageView> {
  const { deps, user: me } = actor;
  const conversationId = membership.conversation.id;
  try {
    await beforeSend();
  } catch (error) {
    const earlier = await findByClientId(actor, conversationId, input.clientId);
    if (earlier) return earlier;
    throw error;
  }
  try {
    // Plain SQL (the hottest path): the same log invariants as withLockedConversation, a tenth of the cost.
    const posted = await postMessageAsMember(deps.db, { conversationId, senderId: me.id, body: input.body, clientId: input.clientId });
    if (!posted) throw conversationNotFound();
    const message = messageRowView(posted.message);
    await publishAfterCommit(deps, { conversationId, events: [messageCreatedView(message)], memberIds: posted.memberIds });
    return message;
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      const winner = await findByClientId(actor, conversationId, input.clientId);
      if (winner) return winner;
    }
    throw error;
  }
}

async function findByClientId(actor: Actor, conversationId: number, clientId: string) {
  const message = await findMessageByClientId(actor.em, actor.user.id, clientId);
  if (!message) return null;
  if (message.conversationId !== conversationId) {
    throw new TRPCError({ code: 'CONFLICT', message: 'That clientId was already used for another conversation' });
  }
  return messageRowView(message);
}

/**
 * Loads a message for a change, checking membership first: a non-member gets NOT_FOUND,
 * as if the message did not exist.
 */
async function messageForChange(em: EntityManager, me: UserRow, messageId: number) {
  const message = await em.findOne(MessageSchema, messageId);
  const membership = message
    ? await em.findOne(ParticipantSchema, { conversation: message.conversation.id, user: me.id }, { populate: ['conversation'] })
    : null;
  if (!message || !membership) throw new TRPCError({ code: 'NOT_FOUND', message: 'Message not found' });
  return { message, membership };
}

export async function editMessage(actor: Actor, input: { id: number; body: string }): Promise<MessageView> {
  const me = actor.user;
  const { message } = await messageForChange(actor.em, me, input.id);
  if (message.sender.id !== me.id) throw new TRPCError({ code: 'FORBIDDEN', message: 'You can only edit your own messages' });
  const edited = await withLockedConversation(actor, message.conversation.id, async (tx, _conversation, log) => {
    const current = await tx.findOneOrFail(MessageSchema, message.id, { refresh: true });
    if (current.deletedAt) throw new TRPCError({ code: 'CONFLICT', message: 'That message was deleted' });
    if (current.body === input.body) return current;
    current.body = input.body;
    current.editedAt = new Date();
    log.append({ type: 'message.edited', actorId: me.id, message: current });
    return current;
  });
  return messageView(edited);
}

/** Deletes a message: the body is cleared and the row stays as a tombstone. Idempotent. */
export async function deleteMessage(actor: Actor, input: { id: number }): Promise<MessageView> {
  const me = actor.user;
  const { message, membership } = await messageForChange(actor.em, me, input.id);
  const isSender = message.sender.id === me.id;
  const isGroupManager =
    membership.conversation.getEntity().kind === 'group' && (membership.role === 'owner' || membership.role === 'admin');
  if (!isSender && !isGroupManager) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'You can only delete your own messages' });
  }
  const deleted: Message = await withLockedConversation(actor, message.conversation.id, async (tx, conversation, log) => {
    const current = await tx.findOneOrFail(MessageSchema, message.id, { refresh: true });
    if (current.deletedAt) return current;
    current.body = '';
    current.deletedAt = new Date();
    conversation.messageCount -= 1;
    log.append({ type: 'message.deleted', actorId: me.id, message: current });
    return current;
  });
  return messageView(deleted);
}
