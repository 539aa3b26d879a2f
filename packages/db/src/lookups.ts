/**
 * The look-ups every call makes (who is calling, are they a member), in plain SQL and
 * mapped into the caller's EntityManager: the same entities a `findOne` returns, for about
 * a tenth of its CPU (docs/ARCHITECTURE.md, "Performance").
 */
import { directSql } from './direct-sql.ts';
import { ConversationSchema, ParticipantSchema, UserSchema, type Participant, type User } from './entities.ts';
import type { EntityManager } from './orm.ts';

type Columns = Record<string, unknown>;

export async function findUser(em: EntityManager, userId: number): Promise<User | null> {
  const direct = await directSql(em);
  const [user] = await direct.query<Columns>('select * from users where id = ?', [userId]);
  return user ? em.map(UserSchema, user) : null;
}

/** My participant row in a conversation, with the conversation loaded; null when I am not a member. */
export async function findMembership(em: EntityManager, conversationId: number, userId: number): Promise<Participant | null> {
  const direct = await directSql(em);
  // Both at once: on PostgreSQL that is one round trip of waiting instead of two.
  const [[participant], [conversation]] = await Promise.all([
    direct.query<Columns>('select * from participants where conversation_id = ? and user_id = ?', [conversationId, userId]),
    direct.query<Columns>('select * from conversations where id = ?', [conversationId]),
  ]);
  if (!participant || !conversation) return null;
  // The conversation first: the participant's reference then points at the loaded entity.
  em.map(ConversationSchema, conversation);
  return em.map(ParticipantSchema, participant);
}

/**
 * Who is in a conversation now (user ids, in the order they joined): whom a committed change
 * is published to. A range of participants_join_order_idx, which holds all it reads.
 */
export async function conversationMemberIds(em: EntityManager, conversationId: number): Promise<number[]> {
  const direct = await directSql(em);
  const rows = await direct.query<{ user_id: number }>(
    'select user_id from participants where conversation_id = ? order by joined_at, user_id',
    [conversationId],
  );
  return rows.map((row) => Number(row.user_id));
}
