import { Migration } from '@mikro-orm/migrations';

export class Migration20261121154543_join_order extends Migration {

  override name = 'Migration20261121154543_join_order';

  override up(): void | Promise<void> {
    this.addSql(`create index "participants_join_order_idx" on "participants" ("conversation_id", "joined_at", "user_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "participants_join_order_idx";`);
  }

}
