import { Migration } from '@mikro-orm/migrations';

/** A mute can be for a while (an hour, a week): the instant it ends by itself. */
export class Migration20261207190000_muted_until extends Migration {

  override name = 'Migration20261207190000_muted_until';

  override up(): void | Promise<void> {
    this.addSql(`alter table \`participants\` add column \`muted_until\` datetime null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table \`participants\` drop column \`muted_until\`;`);
  }

}
