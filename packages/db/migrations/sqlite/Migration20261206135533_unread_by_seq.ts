import { Migration } from '@mikro-orm/migrations';

/**
 * Unread counts by arithmetic on seqs (docs/ARCHITECTURE.md, "Unread"): the seqs after a
 * read marker, less those that are not a new message (conversation_events_changes_idx) and
 * the deleted messages among them (messages_deleted_idx). It holds because no member's
 * read marker is behind a message of their own: a new message's event moves its sender's
 * marker (conversation_events_read_own_trigger, which replaces the send path's own update).
 */
export class Migration20261206135533_unread_by_seq extends Migration {

  override name = 'Migration20261206135533_unread_by_seq';

  override up(): void | Promise<void> {
    this.addSql(`create index \`messages_deleted_idx\` on \`messages\` (\`conversation_id\`, \`seq\`) where \`deleted_at\` is not null;`);
    this.addSql(`create index \`conversation_events_changes_idx\` on \`conversation_events\` (\`conversation_id\`, \`seq\`) where \`type\` != 'message.created';`);
    this.addSql(`create trigger \`conversation_events_read_own_trigger\` AFTER INSERT on \`conversation_events\` for each ROW
  when new.type = 'message.created' begin update participants set last_read_seq = new.seq where conversation_id = new.conversation_id and user_id = new.actor_id and last_read_seq < new.seq; end;`);
    // Written by hand: markers behind a message of their member's own (old seeds, the ORM's
    // postMessage) move up to it, as the trigger moves them from here on.
    this.addSql(`update \`participants\` set \`last_read_seq\` = (select max(\`seq\`) from \`messages\` m where m.\`conversation_id\` = \`participants\`.\`conversation_id\` and m.\`sender_id\` = \`participants\`.\`user_id\`)
      where \`last_read_seq\` < (select max(\`seq\`) from \`messages\` m where m.\`conversation_id\` = \`participants\`.\`conversation_id\` and m.\`sender_id\` = \`participants\`.\`user_id\`);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists \`conversation_events_read_own_trigger\`;`);
    this.addSql(`drop index \`conversation_events_changes_idx\`;`);
    this.addSql(`drop index \`messages_deleted_idx\`;`);
  }

}
