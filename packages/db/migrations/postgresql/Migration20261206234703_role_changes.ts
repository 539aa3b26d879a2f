import { Migration } from '@mikro-orm/migrations';

/** Role changes are logged events (`participant.role_changed`). */
export class Migration20261206234703_role_changes extends Migration {

  override name = 'Migration20261206234703_role_changes';

  override up(): void | Promise<void> {
    this.addSql(`alter table "conversation_events" drop constraint "conversation_events_type_check";`);
    this.addSql(`alter table "conversation_events" add constraint "conversation_events_type_check" check ("type" in ('message.created', 'message.edited', 'message.deleted', 'participants.added', 'participant.removed', 'participant.left', 'participant.role_changed', 'conversation.renamed'));`);
  }

  override down(): void | Promise<void> {
    // The old type check refuses role changes: they go (their seqs then count as unread for members behind them).
    this.addSql(`delete from "conversation_events" where "type" = 'participant.role_changed';`);
    this.addSql(`alter table "conversation_events" drop constraint "conversation_events_type_check";`);
    this.addSql(`alter table "conversation_events" add constraint "conversation_events_type_check" check ("type" in ('message.created', 'message.edited', 'message.deleted', 'participants.added', 'participant.removed', 'participant.left', 'conversation.renamed'));`);
  }

}
