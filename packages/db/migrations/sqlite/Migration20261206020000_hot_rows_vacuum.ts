import { Migration } from '@mikro-orm/migrations';

/**
 * PostgreSQL's vacuum thresholds for its hot rows (see that dialect's migration). SQLite
 * rewrites a row in place: nothing to change here, and the migration exists so both
 * dialects keep the same list.
 */
export class Migration20261206020000_hot_rows_vacuum extends Migration {

  override name = 'Migration20261206020000_hot_rows_vacuum';

  override up(): void | Promise<void> {}

  override down(): void | Promise<void> {}

}
