import { Migration } from '@mikro-orm/migrations';

/**
 * Drops the index MikroORM had added for each reference where a key or another index
 * already leads with its column: every index is one more write per message sent.
 */
export class Migration20261121192000_lean_indexes extends Migration {

  override name = 'Migration20261121192000_lean_indexes';

  override up(): void | Promise<void> {
    this.addSql(`drop index \`participants_user_id_index\`;`);
    this.addSql(`drop index \`participants_conversation_id_index\`;`);
    this.addSql(`drop index \`messages_sender_id_index\`;`);
    this.addSql(`drop index \`messages_conversation_id_index\`;`);
    this.addSql(`drop index \`conversation_events_conversation_id_index\`;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create index \`participants_user_id_index\` on \`participants\` (\`user_id\`);`);
    this.addSql(`create index \`participants_conversation_id_index\` on \`participants\` (\`conversation_id\`);`);
    this.addSql(`create index \`messages_sender_id_index\` on \`messages\` (\`sender_id\`);`);
    this.addSql(`create index \`messages_conversation_id_index\` on \`messages\` (\`conversation_id\`);`);
    this.addSql(`create index \`conversation_events_conversation_id_index\` on \`conversation_events\` (\`conversation_id\`);`);
  }

}
