import { Migration } from '@mikro-orm/migrations';
import { POST_MESSAGE_FUNCTION } from './Migration20261121190000_post_message.ts';

/** Replaced by Migration20261206135533_unread_by_seq's (the sender's read marker moved by a trigger), whose down() restores it. */
export const POST_MESSAGES_FUNCTION = `create or replace function "parley_post_messages"(p_conversation_ids int[], p_sender_ids int[], p_bodies text[], p_client_ids text[], p_ats timestamptz[])
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
    -- What I send, I have read.
    update participants p set last_read_seq = v_seq
     where p.conversation_id = v_conversation_id and p.user_id = v_sender_id and p.last_read_seq < v_seq;
    outcome := 'posted';
    posted_id := v_id;
    posted_seq := v_seq;
    member_ids := array(select p.user_id from participants p where p.conversation_id = v_conversation_id order by p.joined_at, p.user_id);
    return next;
  end loop;
end;
\$\$;`;

/**
 * Group commit on PostgreSQL (written by hand; see postMessageAsMember in
 * conversation-log.ts): the sends of one turn of the server's event loop in one call and
 * one transaction, where each had been a call and a commit of its own. A send that cannot
 * be stored (not a member; a clientId already used) is reported and changes nothing, so it
 * never fails the others.
 */
export class Migration20261206010000_post_messages extends Migration {

  override name = 'Migration20261206010000_post_messages';

  override up(): void | Promise<void> {
    this.addSql(POST_MESSAGES_FUNCTION);
    this.addSql(`drop function if exists "parley_post_message"(int, int, text, text, timestamptz);`);
  }

  override down(): void | Promise<void> {
    this.addSql(POST_MESSAGE_FUNCTION);
    this.addSql(`drop function if exists "parley_post_messages"(int[], int[], text[], text[], timestamptz[]);`);
  }

}
