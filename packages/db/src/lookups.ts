/**
 * Who is calling, the look-up every signed-in call makes: in plain SQL and mapped into the
 * caller's EntityManager, the same entity a `findOne` returns for about a tenth of its CPU
 * (docs/ARCHITECTURE.md, "Performance"). The other hot reads, plain rows, are in reads.ts.
 */
import type { EntityData, EntityDictionary } from '@mikro-orm/core';
import { directSql } from './direct-sql.ts';
import { UserSchema, type User } from './entities.ts';
import type { EntityManager } from './orm.ts';
import { membershipColumns, membershipRow, type MembershipColumns, type MembershipRow } from './reads.ts';

/** The caller's user. */
export async function findUser(em: EntityManager, userId: number): Promise<User | null> {
  const direct = await directSql(em);
  const [row] = await direct.query<EntityDictionary<User>>('select * from users where id = ?', [userId]);
  return row ? mergeUser(em, row) : null;
}

/**
 * The caller's user and their membership of a conversation (null when they are not a
 * member), in one statement: what a member call checks first. On PostgreSQL one round trip
 * instead of two, the largest cost of a read there.
 */
export async function findCaller(
  em: EntityManager,
  userId: number,
  conversationId: number,
): Promise<{ user: User | null; membership: MembershipRow | null }> {
  const direct = await directSql(em);
  const [row] = await direct.query<EntityDictionary<User> & MembershipColumns>(
    `select u.*, ${membershipColumns(direct)}
       from users u
       left join participants p on p.conversation_id = ? and p.user_id = u.id
       left join conversations c on c.id = p.conversation_id
      where u.id = ?`,
    [conversationId, userId],
  );
  if (!row) return { user: null, membership: null };
  const userColumns = Object.fromEntries(Object.entries(row).filter(([column]) => !column.startsWith('membership_')));
  return {
    user: mergeUser(em, userColumns),
    membership: row.membership_id == null ? null : membershipRow(row),
  };
}

/**
 * A users row mapped into the EntityManager like em.map does, but without walking its
 * relations: a row's references are never loaded, so there is nothing to cascade to, and
 * the walk was a third of map's CPU.
 */
function mergeUser(em: EntityManager, row: EntityDictionary<User>): User {
  const data: EntityData<User> = em.getDriver().mapResult(row, em.getMetadata(UserSchema)) ?? {};
  return em.merge(UserSchema, data, { refresh: true, convertCustomTypes: true, validate: false, cascade: false });
}
