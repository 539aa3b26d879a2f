import { Migration } from '@mikro-orm/migrations';

/**
 * participants_user_conversation_idx served nothing that participants_inbox_idx (user first,
 * the conversation in it) or the key (conversation, user) does not. Every message rewrites
 * its members' rows, and on PostgreSQL (no update of an indexed column is HOT) each rewrite
 * writes every index: one fewer per member per message.
 */
export class Migration20261206120304_drop_user_conversation_index extends Migration {

  override name = 'Migration20261206120304_drop_user_conversation_index';

  override up(): void | Promise<void> {
    this.addSql(`drop index "participants_user_conversation_idx";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create index "participants_user_conversation_idx" on "participants" ("user_id", "conversation_id");`);
  }

}
