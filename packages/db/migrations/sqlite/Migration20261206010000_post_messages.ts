import { Migration } from '@mikro-orm/migrations';

/**
 * PostgreSQL's group commit of sends (a function, see that dialect's migration). SQLite
 * groups its sends in process (direct-sql.ts): nothing to change here, and the migration
 * exists so both dialects keep the same list.
 */
export class Migration20261206010000_post_messages extends Migration {

  override name = 'Migration20261206010000_post_messages';

  override up(): void | Promise<void> {}

  override down(): void | Promise<void> {}

}
