/**
 * What the database keeps exact by itself, in the statement that makes it necessary, whoever
 * writes (the ORM, the plain-SQL send paths, a seed): triggers rather than code in each
 * writer, because one that forgot would go wrong without failing.
 *
 * - The inbox order (docs/ARCHITECTURE.md, "Inbox order"): every participant row carries a
 *   copy of its conversation's lastMessageAt, so "my conversations, newest activity first"
 *   is one range of participants_inbox_idx (user, that copy, conversation) instead of a
 *   join and a sort over all of my conversations. A conversation's new lastMessageAt goes
 *   to all of its rows, and a new row takes its conversation's value.
 * - users.search's trigram index on SQLite (`users_search`, an FTS5 table over the users'
 *   names, created by its migration): each new user, rename and deletion is written to it.
 * - What I send, I have read (docs/ARCHITECTURE.md, "Unread"): a new message (its
 *   message.created event) moves its sender's read marker to it. So no member's marker is
 *   ever behind a message of their own, which is what lets an unread count be arithmetic
 *   on seqs instead of a count of messages.
 *
 * They are entity metadata (added per dialect at discovery), so `pnpm db migration:create`
 * generates them and the drift check compares them like any column or index.
 */
import type { EntityMetadata, TriggerDef } from '@mikro-orm/core';
import type { Dialect } from './orm.ts';

// On the log's message.created event rather than the message: its actor is the sender, and
// MikroORM's SQLite trigger parser cuts a body at the first "end", as in "sender_id".
const READ_OWN_MESSAGE =
  'update participants set last_read_seq = new.seq where conversation_id = new.conversation_id and user_id = new.actor_id and last_read_seq < new.seq;';

// An external-content FTS5 table is told what to index and what to forget (the old values).
const SEARCH_ADD = 'insert into users_search (rowid, username, display_name) values (new.id, new.username, new.display_name);';
const SEARCH_REMOVE = "insert into users_search (users_search, rowid, username, display_name) values ('delete', old.id, old.username, old.display_name);";

const TRIGGERS: Record<Dialect, Record<string, TriggerDef[]>> = {
  sqlite: {
    conversations: [
      {
        name: 'conversations_inbox_order_trigger',
        timing: 'after',
        events: ['update'],
        when: 'old.last_message_at is not new.last_message_at',
        body: 'update participants set conversation_last_message_at = new.last_message_at where conversation_id = new.id;',
      },
    ],
    participants: [
      {
        // SQLite triggers cannot change the row being inserted: it is updated right after.
        name: 'participants_inbox_order_trigger',
        timing: 'after',
        events: ['insert'],
        body:
          'update participants set conversation_last_message_at = (select last_message_at from conversations where id = new.conversation_id) ' +
          'where conversation_id = new.conversation_id and user_id = new.user_id;',
      },
    ],
    conversation_events: [
      { name: 'conversation_events_read_own_trigger', timing: 'after', events: ['insert'], when: "new.type = 'message.created'", body: READ_OWN_MESSAGE },
    ],
    users: [
      { name: 'users_search_insert_trigger', timing: 'after', events: ['insert'], body: SEARCH_ADD },
      { name: 'users_search_delete_trigger', timing: 'after', events: ['delete'], body: SEARCH_REMOVE },
      {
        name: 'users_search_update_trigger',
        timing: 'after',
        events: ['update'],
        when: 'old.username is not new.username or old.display_name is not new.display_name',
        body: `${SEARCH_REMOVE} ${SEARCH_ADD}`,
      },
    ],
  },
  postgresql: {
    conversations: [
      {
        name: 'conversations_inbox_order_trigger',
        timing: 'after',
        events: ['update'],
        // As PostgreSQL prints it back, which is what the drift check compares.
        when: '(old.last_message_at IS DISTINCT FROM new.last_message_at)',
        body: 'update participants set conversation_last_message_at = new.last_message_at where conversation_id = new.id; return null;',
      },
    ],
    participants: [
      {
        name: 'participants_inbox_order_trigger',
        timing: 'before',
        events: ['insert'],
        body: 'new.conversation_last_message_at := (select last_message_at from conversations where id = new.conversation_id); return new;',
      },
    ],
    conversation_events: [
      {
        name: 'conversation_events_read_own_trigger',
        timing: 'after',
        events: ['insert'],
        when: "(new.type = 'message.created'::text)",
        body: `${READ_OWN_MESSAGE} return null;`,
      },
    ],
  },
};

/** Adds the dialect's triggers to the metadata of their tables (MikroORM's `discovery.onMetadata`). */
export function addTriggers(meta: EntityMetadata, dialect: Dialect): void {
  const triggers = meta.tableName ? TRIGGERS[dialect][meta.tableName] : undefined;
  // A new array: the metadata is this ORM's own copy, but its arrays may not be.
  if (triggers) meta.triggers = [...(meta.triggers ?? []), ...triggers.map((trigger) => ({ ...trigger }))];
}
