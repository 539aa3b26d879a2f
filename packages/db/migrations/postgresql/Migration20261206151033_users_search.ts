import { Migration } from '@mikro-orm/migrations';

/**
 * Nothing on PostgreSQL: users.search's trigram index is SQLite's (its migration of the same
 * name), whose searches run on the server's event loop; PostgreSQL's run in its own process.
 * Kept so that both dialects have the same migrations.
 */
export class Migration20261206151033_users_search extends Migration {

  override name = 'Migration20261206151033_users_search';

  override up(): void | Promise<void> {}

  override down(): void | Promise<void> {}

}
