/**
 * The write primitives that keep the conversation log's invariants (docs/ARCHITECTURE.md,
 * "Events and delivery"): every durable change takes the conversation's next seq and
 * appends a ConversationEvent in the same transaction, and the counters on the
 * conversation row stay exact. Callers run these inside `em.transactional`.
 */
import { LockMode, ref } from '@mikro-orm/core';
import {
  ConversationEventSchema,
  ConversationSchema,
  MessageSchema,
  type Conversation,
  type ConversationEvent,
  type ConversationEventType,
  type Message,
} from './entities.ts';
import { dialectOf, type EntityManager } from './orm.ts';

/**
 * Loads a conversation for writing. On PostgreSQL the row lock serializes writers of one
 * conversation; SQLite serializes every write transaction by itself.
 */
export async function lockConversation(em: EntityManager, id: number): Promise<Conversation | null> {
  if (dialectOf(em) === 'sqlite') return em.findOne(ConversationSchema, id, { refresh: true });
  return em.findOne(ConversationSchema, id, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
}

export interface NewEvent {
  type: ConversationEventType;
  actorId: number;
  message?: Message | null;
  payload?: Record<string, unknown> | null;
  at?: Date;
}

/** Takes the next seq of a locked conversation and appends the event for it. */
export function appendEvent(em: EntityManager, conversation: Conversation, event: NewEvent): ConversationEvent {
  const at = event.at ?? new Date();
  conversation.lastSeq += 1;
  conversation.updatedAt = at;
  return em.create(ConversationEventSchema, {
    conversation,
    seq: conversation.lastSeq,
    type: event.type,
    actorId: event.actorId,
    message: event.message ?? null,
    payload: event.payload ?? null,
    createdAt: at,
  });
}

export interface NewMessage {
  senderId: number;
  body: string;
  clientId: string;
  at?: Date;
}

/** Posts a message to a locked conversation: its seq is the seq of its creation event. */
export function postMessage(
  em: EntityManager,
  conversation: Conversation,
  input: NewMessage,
): { message: Message; event: ConversationEvent } {
  const at = input.at ?? new Date();
  const event = appendEvent(em, conversation, { type: 'message.created', actorId: input.senderId, at });
  const message = em.create(MessageSchema, {
    conversation,
    seq: event.seq,
    sender: input.senderId,
    body: input.body,
    clientId: input.clientId,
    createdAt: at,
  });
  event.message = ref(message);
  conversation.messageCount += 1;
  conversation.lastMessageAt = at;
  return { message, event };
}
