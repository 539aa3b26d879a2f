import { Migration } from '@mikro-orm/migrations';

export class Migration20261121102836_stats_indexes extends Migration {

  override name = 'Migration20261121102836_stats_indexes';

  override up(): void | Promise<void> {
    this.addSql(`create index "messages_live_created_idx" on "messages" ("created_at", "sender_id", "conversation_id") where "deleted_at" is null;`);
    this.addSql(`create index "messages_sender_created_idx" on "messages" ("sender_id", "created_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "messages_live_created_idx";`);
    this.addSql(`drop index "messages_sender_created_idx";`);
  }

}
