import { Migration } from '@mikro-orm/migrations';

/**
 * Nothing on SQLite: users.search's trigram indexes on PostgreSQL (its migration of the same
 * name); SQLite's is the FTS5 table of Migration20261206151033_users_search. Kept so that
 * both dialects have the same migrations.
 */
export class Migration20261206163023_users_search_postgres extends Migration {

  override name = 'Migration20261206163023_users_search_postgres';

  override up(): void | Promise<void> {}

  override down(): void | Promise<void> {}

}
