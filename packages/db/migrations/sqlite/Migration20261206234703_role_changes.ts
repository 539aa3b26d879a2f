import { Migration } from '@mikro-orm/migrations';

// The event types before and after, in the entity's order (the drift check compares the
// check's text), spelled out: a migration never changes with the code.
const OLD_TYPES = ['message.created', 'message.edited', 'message.deleted', 'participants.added', 'participant.removed', 'participant.left', 'conversation.renamed'];
const NEW_TYPES = ['message.created', 'message.edited', 'message.deleted', 'participants.added', 'participant.removed', 'participant.left', 'participant.role_changed', 'conversation.renamed'];

/** The events table made again with `types` in its type check, its rows, indexes and trigger kept. */
function rebuildEvents(migration: Migration, types: readonly string[]): void {
  migration.addSql(`create table \`conversation_events__temp_alter\` (\`conversation_id\` integer not null, \`seq\` integer not null, \`type\` text check (\`type\` in (${types.map((type) => `'${type}'`).join(', ')})) not null, \`message_id\` integer null, \`actor_id\` integer not null, \`payload\` json null, \`created_at\` datetime not null, primary key (\`conversation_id\`, \`seq\`), constraint \`conversation_events_conversation_id_foreign\` foreign key (\`conversation_id\`) references \`conversations\` (\`id\`), constraint \`conversation_events_message_id_foreign\` foreign key (\`message_id\`) references \`messages\` (\`id\`) on delete set null);`);
  migration.addSql(`insert into \`conversation_events__temp_alter\` select \`conversation_id\`, \`seq\`, \`type\`, \`message_id\`, \`actor_id\`, \`payload\`, \`created_at\` from \`conversation_events\`;`);
  migration.addSql(`drop table \`conversation_events\`;`);
  migration.addSql(`alter table \`conversation_events__temp_alter\` rename to \`conversation_events\`;`);
  migration.addSql(`create index \`conversation_events_message_id_index\` on \`conversation_events\` (\`message_id\`);`);
  migration.addSql(`create index \`conversation_events_changes_idx\` on \`conversation_events\` (\`conversation_id\`, \`seq\`) where \`type\` != 'message.created';`);
  migration.addSql(`create trigger \`conversation_events_read_own_trigger\` AFTER INSERT on \`conversation_events\` for each ROW
  when new.type = 'message.created' begin update participants set last_read_seq = new.seq where conversation_id = new.conversation_id and user_id = new.actor_id and last_read_seq < new.seq; end;`);
}

/**
 * Role changes are logged events (`participant.role_changed`). SQLite cannot change a check
 * constraint in place: the events table is rebuilt (generated; its indexes and trigger made
 * again), which takes a while on a large log. Nothing references the events table, so the
 * foreign keys need not be switched off (inside the migration's transaction that pragma
 * would do nothing anyway).
 */
export class Migration20261206234703_role_changes extends Migration {

  override name = 'Migration20261206234703_role_changes';

  override up(): void | Promise<void> {
    rebuildEvents(this, NEW_TYPES);
  }

  override down(): void | Promise<void> {
    // The old type check refuses role changes: they go (their seqs then count as unread for members behind them).
    this.addSql(`delete from \`conversation_events\` where \`type\` = 'participant.role_changed';`);
    rebuildEvents(this, OLD_TYPES);
  }

}
