import { Migration } from '@mikro-orm/migrations';

/** A member can mute a conversation: no notifications of it, its unread left out of their total. */
export class Migration20261207153000_muted extends Migration {

  override name = 'Migration20261207153000_muted';

  override up(): void | Promise<void> {
    this.addSql(`alter table \`participants\` add column \`muted\` integer not null default false;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table \`participants\` drop column \`muted\`;`);
  }

}
