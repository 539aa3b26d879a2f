/**
 * Who is calling, the look-up every signed-in call makes: in plain SQL and mapped into the
 * caller's EntityManager, the same entity a `findOne` returns for about a tenth of its CPU
 * (docs/ARCHITECTURE.md, "Performance"). The other hot reads, plain rows, are in reads.ts.
 */
import type { EntityData, EntityDictionary } from '@mikro-orm/core';
import { directSql } from './direct-sql.ts';
import { UserSchema, type User } from './entities.ts';
import type { EntityManager } from './orm.ts';

/**
 * The caller's user, mapped into the caller's EntityManager like em.map does, but without
 * walking its relations: a row's references are never loaded, so there is nothing to
 * cascade to, and the walk was a third of map's CPU.
 */
export async function findUser(em: EntityManager, userId: number): Promise<User | null> {
  const direct = await directSql(em);
  const [row] = await direct.query<EntityDictionary<User>>('select * from users where id = ?', [userId]);
  if (!row) return null;
  const data: EntityData<User> = em.getDriver().mapResult(row, em.getMetadata(UserSchema)) ?? {};
  return em.merge(UserSchema, data, { refresh: true, convertCustomTypes: true, validate: false, cascade: false });
}
