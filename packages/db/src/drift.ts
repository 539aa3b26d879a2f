import type { Database } from './orm.ts';

/** SQL that would bring the migrated schema in line with the entities; empty when they agree. */
export async function pendingSchemaChanges(orm: Database): Promise<string> {
  const sql = await orm.schema.getUpdateSchemaSQL({ wrap: false, safe: false });
  return sql.trim();
}
