/**
 * Indexes only one dialect has, added to the entities' metadata at discovery (orm.ts), as
 * the triggers are, so migrations generate them and the drift check compares them.
 *
 * users.search on PostgreSQL (reads.ts, searchUsers): pg_trgm's GIN indexes over the
 * lower-cased names answer `like '%…%'` from the query's trigrams, where the username
 * index's walk tested every user a rare query does not match (100,000 users: 35 ms of the
 * database's CPU a call). SQLite's counterpart is an FTS5 table (migration
 * Migration20261206151033_users_search). A database whose user may not create the
 * extension goes without them and walks, as before (migration
 * Migration20261206163023_users_search_postgres).
 */
import type { EntityMetadata } from '@mikro-orm/core';
import type { Dialect } from './orm.ts';

const trigramIndex = (table: string, column: string) => {
  const name = `${table}_${column}_trgm_idx`;
  return { name, expression: `create index "${name}" on "${table}" using gin (lower("${column}") gin_trgm_ops)` };
};

const INDEXES: Record<Dialect, Record<string, { name: string; expression: string }[]>> = {
  sqlite: {},
  postgresql: {
    users: [trigramIndex('users', 'username'), trigramIndex('users', 'display_name')],
  },
};

/** Adds the dialect's own indexes to the metadata of their tables (MikroORM's `discovery.onMetadata`). */
export function addDialectIndexes(meta: EntityMetadata, dialect: Dialect): void {
  const indexes = meta.tableName ? INDEXES[dialect][meta.tableName] : undefined;
  // A new array: the metadata is this ORM's own copy, but its arrays may not be.
  if (indexes) meta.indexes = [...meta.indexes, ...indexes.map((index) => ({ ...index }))];
}
