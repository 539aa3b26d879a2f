import { Migration } from '@mikro-orm/migrations';

/**
 * SQLite drops the indexes MikroORM had added for each reference (see that dialect's
 * migration); on PostgreSQL it never added them: nothing to change, and the migration exists
 * so both dialects keep the same list.
 */
export class Migration20261121192000_lean_indexes extends Migration {

  override name = 'Migration20261121192000_lean_indexes';

  override up(): void | Promise<void> {}

  override down(): void | Promise<void> {}

}
