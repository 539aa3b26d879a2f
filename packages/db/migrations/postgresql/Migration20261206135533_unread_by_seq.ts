import { Migration } from '@mikro-orm/migrations';
import { POST_MESSAGES_FUNCTION } from './Migration20261206010000_post_messages.ts';

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
    this.addSql(`create or replace function "parley_post_messages"(p_conversation_ids int[], p_sender_ids int[], p_bodies text[], p_client_ids text[], p_ats timestamptz[])
  returns table (item int, outcome text, posted_id int, posted_seq int, member_ids int[])
  language plpgsql volatile as \$\$
declare
  v_conversation_id int;
  v_sender_id int;
  v_at timestamptz;
  v_seq int;
  v_id int;
begin
  -- In conversation order (and in the order asked within one), so that two groups, which
  -- hold their conversations' row locks until they commit, never wait for each other.
  for item in select i from generate_subscripts(p_conversation_ids, 1) i order by p_conversation_ids[i], i loop
    v_conversation_id := p_conversation_ids[item];
    v_sender_id := p_sender_ids[item];
    v_at := p_ats[item];
    posted_id := null; posted_seq := null; member_ids := null;
    -- The conversation's row lock first: writers of one conversation queue here, as
    -- lockConversation does. Each statement after it reads a fresh snapshot (read
    -- committed), so a removal that committed while this one waited is seen.
    select c.last_seq + 1 into v_seq from conversations c where c.id = v_conversation_id for update;
    if not found or not exists (select 1 from participants p where p.conversation_id = v_conversation_id and p.user_id = v_sender_id) then
      outcome := 'not_member';
      return next;
      continue;
    end if;
    -- The message first: a clientId this sender already used (a retry racing its first
    -- attempt, perhaps still uncommitted on another connection) leaves everything as it was.
    v_id := null;
    insert into messages as m (conversation_id, seq, sender_id, body, client_id, created_at)
      values (v_conversation_id, v_seq, v_sender_id, p_bodies[item], p_client_ids[item], v_at)
      on conflict (sender_id, client_id) do nothing
      returning m.id into v_id;
    if v_id is null then
      outcome := 'client_id_used';
      return next;
      continue;
    end if;
    update conversations c set last_seq = v_seq, message_count = c.message_count + 1, last_message_at = v_at, updated_at = v_at
     where c.id = v_conversation_id;
    insert into conversation_events (conversation_id, seq, type, message_id, actor_id, payload, created_at)
      values (v_conversation_id, v_seq, 'message.created', v_id, v_sender_id, null, v_at);
    -- (The sender's read marker: moved by conversation_events_read_own_trigger.)
    outcome := 'posted';
    posted_id := v_id;
    posted_seq := v_seq;
    member_ids := array(select p.user_id from participants p where p.conversation_id = v_conversation_id order by p.joined_at, p.user_id);
    return next;
  end loop;
end;
\$\$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(POST_MESSAGES_FUNCTION);
    this.addSql(`drop trigger if exists "conversation_events_read_own_trigger" on "conversation_events";`);
    this.addSql(`drop function if exists "conversation_events_conversation_events_read_own_trigger_fn"();`);
    this.addSql(`drop index "conversation_events_changes_idx";`);
    this.addSql(`drop index "messages_deleted_idx";`);
  }

}
