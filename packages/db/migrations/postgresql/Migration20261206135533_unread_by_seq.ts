import { Migration } from '@mikro-orm/migrations';
import { POST_MESSAGES_FUNCTION } from './Migration20261206010000_post_messages.ts';

/** parley_post_messages' own update of the sender's read marker, as its migration wrote it. */
const SENDER_MARKER_UPDATE = `    -- What I send, I have read.
    update participants p set last_read_seq = v_seq
     where p.conversation_id = v_conversation_id and p.user_id = v_sender_id and p.last_read_seq < v_seq;
`;
if (!POST_MESSAGES_FUNCTION.includes(SENDER_MARKER_UPDATE)) throw new Error('parley_post_messages no longer holds the update this migration removes');

/** The same function, the update left to the trigger. */
const POST_MESSAGES_WITHOUT_MARKER = POST_MESSAGES_FUNCTION.replace(
  SENDER_MARKER_UPDATE,
  "    -- (The sender's read marker: moved by conversation_events_read_own_trigger.)\n",
);

/**
 * Unread counts by arithmetic on seqs (docs/ARCHITECTURE.md, "Unread"): the seqs after a
 * read marker, less those that are not a new message (conversation_events_changes_idx) and
 * the deleted messages among them (messages_deleted_idx). It holds because no member's
 * read marker is behind a message of their own: a new message's event moves its sender's
 * marker (conversation_events_read_own_trigger), which parley_post_messages therefore no
 * longer does.
 */
export class Migration20261206135533_unread_by_seq extends Migration {

  override name = 'Migration20261206135533_unread_by_seq';

  override up(): void | Promise<void> {
    this.addSql(`create index "messages_deleted_idx" on "messages" ("conversation_id", "seq") where "deleted_at" is not null;`);
    this.addSql(`create index "conversation_events_changes_idx" on "conversation_events" ("conversation_id", "seq") where "type" != 'message.created';`);
    this.addSql(`create or replace function "conversation_events_conversation_events_read_own_trigger_fn"() returns trigger as \$\$ begin update participants set last_read_seq = new.seq where conversation_id = new.conversation_id and user_id = new.actor_id and last_read_seq < new.seq; return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "conversation_events_read_own_trigger" AFTER INSERT on "conversation_events" for each ROW
  when ((new.type = 'message.created'::text)) execute function "conversation_events_conversation_events_read_own_trigger_fn"();`);
    // Written by hand: markers behind a message of their member's own (old seeds, the ORM's
    // postMessage) move up to it, as the trigger moves them from here on.
    this.addSql(`update "participants" p set "last_read_seq" = own.seq
      from (select "conversation_id", "sender_id", max("seq") as seq from "messages" group by "conversation_id", "sender_id") own
      where own."conversation_id" = p."conversation_id" and own."sender_id" = p."user_id" and p."last_read_seq" < own.seq;`);
    // Written by hand: the send's function without its own update of the sender's marker.
    this.addSql(POST_MESSAGES_WITHOUT_MARKER);
  }

  override down(): void | Promise<void> {
    this.addSql(POST_MESSAGES_FUNCTION);
    this.addSql(`drop trigger if exists "conversation_events_read_own_trigger" on "conversation_events";`);
    this.addSql(`drop function if exists "conversation_events_conversation_events_read_own_trigger_fn"();`);
    this.addSql(`drop index "conversation_events_changes_idx";`);
    this.addSql(`drop index "messages_deleted_idx";`);
  }

}
