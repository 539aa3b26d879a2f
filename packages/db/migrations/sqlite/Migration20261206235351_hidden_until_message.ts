import { Migration } from '@mikro-orm/migrations';

/**
 * A DM nobody has written in is listed only for whoever opened it: the other person's row
 * is hidden until its first message (or until they open it too). Before this, the rule was
 * "whoever created it", and that is what existing rows get (written by hand).
 */
export class Migration20261206235351_hidden_until_message extends Migration {

  override name = 'Migration20261206235351_hidden_until_message';

  override up(): void | Promise<void> {
    this.addSql(`alter table \`participants\` add column \`hidden_until_message\` integer not null default false;`);
    this.addSql(`update participants set hidden_until_message = true where user_id <> (select c.created_by_id from conversations c where c.id = participants.conversation_id and c.kind = 'direct' and c.last_seq = 0);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table \`participants\` drop column \`hidden_until_message\`;`);
  }

}
