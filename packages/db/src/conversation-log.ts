/**
 * The write primitives that keep the conversation log's invariants (docs/ARCHITECTURE.md,
 * "Events and delivery"): every durable change takes the conversation's next seq and
 * appends a ConversationEvent in the same transaction, and the counters on the
 * conversation row stay exact. Callers run these inside `em.transactional`.
 */
import { ConnectionException, LockMode, ref, UniqueConstraintViolationException } from '@mikro-orm/core';
import {
  ConversationEventSchema,
  ConversationSchema,
  MessageSchema,
  type Conversation,
  type ConversationEvent,
  type ConversationEventType,
  type Message,
} from './entities.ts';
import { asError, asOrmError, directSql, TurnGroups, type Outcome, type PostgresStatements } from './direct-sql.ts';
import { dialectOf, type Database, type EntityManager } from './orm.ts';
import { MEMBER_IDS_SQL } from './reads.ts';

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

/** A message as the plain-SQL hot paths return it. */
export interface MessageRow {
  id: number;
  conversationId: number;
  seq: number;
  senderId: number;
  body: string;
  clientId: string;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
}

/** A message as stored by postMessageAsMember, with whom to publish it to. */
export interface PostedMessage {
  message: MessageRow;
  /** The conversation's members when it was posted (user ids, in the order they joined). */
  memberIds: number[];
}

/**
 * Posts a message as `postMessage` does — the conversation's next seq, its event, the
 * counters (the database moves the sender's read marker: triggers.ts) — in plain SQL: the
 * send path, about a tenth of the ORM's cost. Checks under the conversation's write lock that the sender is a member; null
 * when they are not (or the conversation does not exist). Returns the members as of the
 * write too, so the publish that follows reads nothing. A clientId the sender already used
 * fails with UniqueConstraintViolationException.
 */
export async function postMessageAsMember(db: Database, input: NewMessage & { conversationId: number }): Promise<PostedMessage | null> {
  const direct = await directSql(db.em);
  const { conversationId, senderId, body, clientId } = input;
  const at = input.at ?? new Date();
  const posted = (id: number, seq: number, memberIds: number[]): PostedMessage => ({
    message: { id, conversationId, seq, senderId, body, clientId, createdAt: at, editedAt: null, deletedAt: null },
    memberIds,
  });
  try {
    if (direct.dialect === 'sqlite') {
      // SQLite runs one write transaction at a time: the membership check holds until commit.
      const sql = direct.sqlite;
      return await sql.transaction(() => {
        const [conversation] = sql.all<{ last_seq: number }>(
          `update conversations set last_seq = last_seq + 1, message_count = message_count + 1, last_message_at = ?, updated_at = ?
            where id = ? and exists (select 1 from participants where conversation_id = ? and user_id = ?)
            returning last_seq`,
          [at, at, conversationId, conversationId, senderId],
        );
        if (!conversation) return null;
        const seq = Number(conversation.last_seq);
        const [message] = sql.all<{ id: number }>(
          'insert into messages (conversation_id, seq, sender_id, body, client_id, created_at) values (?, ?, ?, ?, ?, ?) returning id',
          [conversationId, seq, senderId, body, clientId, at],
        );
        if (!message) throw new Error('insert returned no row');
        sql.run(
          `insert into conversation_events (conversation_id, seq, type, message_id, actor_id, payload, created_at)
           values (?, ?, 'message.created', ?, ?, null, ?)`,
          [conversationId, seq, message.id, senderId, at],
        );
        const members = sql.all<{ user_id: number }>(MEMBER_IDS_SQL, [conversationId]);
        return posted(Number(message.id), seq, members.map((member) => Number(member.user_id)));
      });
    }
    if (!Number.isSafeInteger(conversationId)) return null;
    // The same writes under the same row lock, in a function, grouped with the other sends of this turn.
    const sent = await postgresSends(direct.postgres).add({ conversationId, senderId, body, clientId, at });
    if (sent.outcome === 'client_id_used') throw new UniqueConstraintViolationException(new Error(`clientId ${clientId} was already used`));
    return sent.outcome === 'posted' ? posted(sent.id, sent.seq, sent.memberIds) : null;
  } catch (error) {
    throw asOrmError(error);
  }
}

type PostgresSend = NewMessage & { conversationId: number; at: Date };
type PostgresSent =
  | { outcome: 'posted'; id: number; seq: number; memberIds: number[] }
  | { outcome: 'not_member' | 'client_id_used' };

const sendGroups = new WeakMap<PostgresStatements, TurnGroups<PostgresSend, PostgresSent>>();

const noRow = (): Outcome<PostgresSent> => ({ ok: false, error: new Error('parley_post_messages returned no row for a send') });

/**
 * Group commit on PostgreSQL: the sends made while the previous group is in flight (or in
 * one turn of the event loop, when none is), one call of parley_post_messages (migration
 * Migration20261206010000_post_messages), one transaction. One group at a time: concurrent
 * groups queued on each other's conversation row locks, and each paid its own round trip
 * and commit (one at a time measured 6.3k-7.2k sends/s against 5.7k-6.6k, at 0.38 of a core
 * against 0.43). Should the call fail as a whole for another reason than the connection (a
 * deadlock with another writer, say), each send is tried again alone, so one cannot fail the
 * others.
 */
function postgresSends(postgres: PostgresStatements): TurnGroups<PostgresSend, PostgresSent> {
  let group = sendGroups.get(postgres);
  if (!group) {
    const call = async (sends: PostgresSend[]): Promise<Outcome<PostgresSent>[]> => {
      const rows = await postgres.all<{ item: number; outcome: PostgresSent['outcome']; posted_id: number | null; posted_seq: number | null; member_ids: number[] | null }>(
        'select item, outcome, posted_id, posted_seq, member_ids from parley_post_messages(?::int[], ?::int[], ?::text[], ?::text[], ?::timestamptz[])',
        [sends.map((s) => s.conversationId), sends.map((s) => s.senderId), sends.map((s) => s.body), sends.map((s) => s.clientId), sends.map((s) => s.at)],
      );
      const outcomes = sends.map(noRow);
      for (const row of rows) {
        const sent: PostgresSent =
          row.outcome === 'posted'
            ? { outcome: 'posted', id: Number(row.posted_id), seq: Number(row.posted_seq), memberIds: (row.member_ids ?? []).map(Number) }
            : { outcome: row.outcome };
        outcomes[Number(row.item) - 1] = { ok: true, value: sent };
      }
      return outcomes;
    };
    const alone = (send: PostgresSend): Promise<Outcome<PostgresSent>> =>
      call([send]).then(([outcome]) => outcome ?? noRow(), (error: unknown) => ({ ok: false, error: asError(error) }));
    group = new TurnGroups(
      async (sends) => {
        try {
          return await call(sends);
        } catch (error) {
          if (sends.length === 1 || asOrmError(error) instanceof ConnectionException) throw error;
          // One after another: sends to one conversation keep the order they were made in.
          const outcomes: Outcome<PostgresSent>[] = [];
          for (const send of sends) outcomes.push(await alone(send));
          return outcomes;
        }
      },
      { oneAtATime: true },
    );
    sendGroups.set(postgres, group);
  }
  return group;
}
