/**
 * The inbox order kept by the database (docs/ARCHITECTURE.md, "Data model"): every
 * participant row carries a copy of its conversation's lastMessageAt, so "my conversations,
 * newest activity first" is one range of participants_inbox_idx (user, that copy,
 * conversation) instead of a join and a sort over all of my conversations.
 *
 * Triggers keep the copy exact in the statement that changes the original, whoever writes
 * it (the ORM, the plain-SQL send path, a seed): a conversation's new lastMessageAt goes to
 * all of its rows, and a new row takes its conversation's value. They are entity metadata
 * (added per dialect at discovery), so `pnpm db migration:create` generates them and the
 * drift check compares them like any column or index.
 */
import type { EntityMetadata, TriggerDef } from '@mikro-orm/core';
import type { Dialect } from './orm.ts';

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
  },
};

/** Adds the dialect's inbox-order triggers to the metadata of their tables (MikroORM's `discovery.onMetadata`). */
export function addInboxOrderTriggers(meta: EntityMetadata, dialect: Dialect): void {
  const triggers = meta.tableName ? TRIGGERS[dialect][meta.tableName] : undefined;
  // A new array: the metadata is this ORM's own copy, but its arrays may not be.
  if (triggers) meta.triggers = [...(meta.triggers ?? []), ...triggers.map((trigger) => ({ ...trigger }))];
}
