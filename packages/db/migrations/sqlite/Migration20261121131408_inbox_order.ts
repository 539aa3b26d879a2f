import { Migration } from '@mikro-orm/migrations';

export class Migration20261121131408_inbox_order extends Migration {

  override name = 'Migration20261121131408_inbox_order';

  override up(): void | Promise<void> {
    this.addSql(`drop index \`conversations_last_message_at_index\`;`);
    this.addSql(`create trigger \`conversations_inbox_order_trigger\` AFTER UPDATE on \`conversations\` for each ROW
  when old.last_message_at is not new.last_message_at begin update participants set conversation_last_message_at = new.last_message_at where conversation_id = new.id; end;`);

    this.addSql(`alter table \`participants\` add column \`conversation_last_message_at\` datetime null;`);
    // Written by hand: the copy for the rows that exist already (the triggers keep it from here on).
    this.addSql(`update \`participants\` set \`conversation_last_message_at\` = (select \`last_message_at\` from \`conversations\` where \`conversations\`.\`id\` = \`participants\`.\`conversation_id\`);`);
    this.addSql(`create index \`participants_inbox_idx\` on \`participants\` (\`user_id\`, \`conversation_last_message_at\`, \`conversation_id\`);`);
    this.addSql(`create trigger \`participants_inbox_order_trigger\` AFTER INSERT on \`participants\` for each ROW begin update participants set conversation_last_message_at = (select last_message_at from conversations where id = new.conversation_id) where conversation_id = new.conversation_id and user_id = new.user_id; end;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create index \`conversations_last_message_at_index\` on \`conversations\` (\`last_message_at\`);`);
    this.addSql(`drop trigger if exists \`conversations_inbox_order_trigger\`;`);

    // Triggers first (by hand): SQLite refuses to drop a column a trigger uses.
    this.addSql(`drop trigger if exists \`participants_inbox_order_trigger\`;`);
    this.addSql(`drop index \`participants_inbox_idx\`;`);
    this.addSql(`alter table \`participants\` drop column \`conversation_last_message_at\`;`);
  }

}
