import { Migration } from '@mikro-orm/migrations';

/** Replaced by parley_post_messages (Migration20261206010000_post_messages), whose down() restores it. */
export const POST_MESSAGE_FUNCTION = `create or replace function "parley_post_message"(p_conversation_id int, p_sender_id int, p_body text, p_client_id text, p_at timestamptz)
  returns table (posted_id int, posted_seq int, member_ids int[])
  language plpgsql volatile as \$\$
declare
  v_seq int;
  v_id int;
begin
  -- The conversation's row lock first: writers of one conversation queue here, as
  -- lockConversation does. Each statement after it reads a fresh snapshot (read committed),
  -- so a removal that committed while this one waited is seen.
  perform 1 from conversations where id = p_conversation_id for update;
  if not found or not exists (select 1 from participants where conversation_id = p_conversation_id and user_id = p_sender_id) then
    return;
  end if;
  update conversations set last_seq = last_seq + 1, message_count = message_count + 1, last_message_at = p_at, updated_at = p_at
   where id = p_conversation_id returning last_seq into v_seq;
  insert into messages (conversation_id, seq, sender_id, body, client_id, created_at)
    values (p_conversation_id, v_seq, p_sender_id, p_body, p_client_id, p_at) returning id into v_id;
  insert into conversation_events (conversation_id, seq, type, message_id, actor_id, payload, created_at)
    values (p_conversation_id, v_seq, 'message.created', v_id, p_sender_id, null, p_at);
  -- What I send, I have read.
  update participants set last_read_seq = v_seq
   where conversation_id = p_conversation_id and user_id = p_sender_id and last_read_seq < v_seq;
  return query select v_id, v_seq,
    array(select p.user_id from participants p where p.conversation_id = p_conversation_id order by p.joined_at, p.user_id);
end;
\$\$;`;

/**
 * The send path in one statement on PostgreSQL (written by hand; see postMessageAsMember in
 * conversation-log.ts): it was a transaction of three round trips, and each round trip costs
 * both processes more CPU than the writes themselves.
 */
export class Migration20261121190000_post_message extends Migration {

  override name = 'Migration20261121190000_post_message';

  override up(): void | Promise<void> {
    this.addSql(POST_MESSAGE_FUNCTION);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop function if exists "parley_post_message"(int, int, text, text, timestamptz);`);
  }

}
