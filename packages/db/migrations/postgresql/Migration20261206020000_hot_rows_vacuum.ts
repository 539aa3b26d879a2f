import { Migration } from '@mikro-orm/migrations';

/**
 * Every message rewrites its conversation's row and every member's participant row (the
 * inbox order's copy of lastMessageAt), so a busy conversation leaves thousands of dead row
 * versions behind a few live ones, and each read of those rows steps over them. PostgreSQL's
 * default waits for a fifth of a table to be dead before vacuuming it: on a large table
 * never, however hot its few busy rows. These two tables are vacuumed after a fixed number of
 * changes instead (docs/ARCHITECTURE.md, "Storage").
 */
export class Migration20261206020000_hot_rows_vacuum extends Migration {

  override name = 'Migration20261206020000_hot_rows_vacuum';

  override up(): void | Promise<void> {
    for (const table of ['conversations', 'participants']) {
      this.addSql(`alter table "${table}" set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);`);
    }
  }

  override down(): void | Promise<void> {
    for (const table of ['conversations', 'participants']) {
      this.addSql(`alter table "${table}" reset (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold);`);
    }
  }

}
