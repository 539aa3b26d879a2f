/**
 * The look-ups every call makes: who is calling, in plain SQL and mapped into the caller's
 * EntityManager (the same entity a `findOne` returns, for about a tenth of its CPU;
 * docs/ARCHITECTURE.md, "Performance"), and whom a change is published to. Whether the
 * caller is a member is findMembership in reads.ts.
 */
import type { EntityData, EntityDictionary, EntityName } from '@mikro-orm/core';
import { directSql } from './direct-sql.ts';
import { UserSchema, type User } from './entities.ts';
import type { EntityManager } from './orm.ts';

type Columns = Record<string, unknown>;

/**
 * A row as a managed entity, like em.map but without walking its relations: a row's
 * references are never loaded, so there is nothing to cascade to, and the walk was a third
 * of map's CPU.
 */
function mapRow<T extends object>(em: EntityManager, entity: EntityName<T>, row: Columns): T {
  const data: EntityData<T> = em.getDriver().mapResult(row as EntityDictionary<T>, em.getMetadata(entity)) ?? {};
  return em.merge(entity, data, { refresh: true, convertCustomTypes: true, validate: false, cascade: false });
}

export async function findUser(em: EntityManager, userId: number): Promise<User | null> {
  const direct = await directSql(em);
  const [user] = await direct.query<Columns>('select * from users where id = ?', [userId]);
  return user ? mapRow(em, UserSchema, user) : null;
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
