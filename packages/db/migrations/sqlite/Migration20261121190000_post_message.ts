import { Migration } from '@mikro-orm/migrations';

/**
 * PostgreSQL's send path in one statement (a function, see that dialect's migration).
 * SQLite runs the same writes in process, where a statement costs no round trip: nothing
 * to change here, and the migration exists so both dialects keep the same list.
 */
export class Migration20261121190000_post_message extends Migration {

  override name = 'Migration20261121190000_post_message';

  override up(): void | Promise<void> {}

  override down(): void | Promise<void> {}

}
