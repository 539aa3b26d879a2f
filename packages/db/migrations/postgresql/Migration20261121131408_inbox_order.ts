import { Migration } from '@mikro-orm/migrations';

export class Migration20261121131408_inbox_order extends Migration {

  override name = 'Migration20261121131408_inbox_order';

  override up(): void | Promise<void> {
    this.addSql(`drop index "conversations_last_message_at_index";`);
    this.addSql(`create or replace function "conversations_conversations_inbox_order_trigger_fn"() returns trigger as \$\$ begin update participants set conversation_last_message_at = new.last_message_at where conversation_id = new.id; return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "conversations_inbox_order_trigger" AFTER UPDATE on "conversations" for each ROW
  when (old.last_message_at is distinct from new.last_message_at) execute function "conversations_conversations_inbox_order_trigger_fn"();`);

    this.addSql(`alter table "participants" add "conversation_last_message_at" timestamptz null;`);
    // Written by hand: the copy for the rows that exist already (the triggers keep it from here on).
    this.addSql(`update "participants" set "conversation_last_message_at" = "conversations"."last_message_at" from "conversations" where "conversations"."id" = "participants"."conversation_id";`);
    this.addSql(`create index "participants_inbox_idx" on "participants" ("user_id", "conversation_last_message_at", "conversation_id");`);
    this.addSql(`create or replace function "participants_participants_inbox_order_trigger_fn"() returns trigger as \$\$ begin new.conversation_last_message_at := (select last_message_at from conversations where id = new.conversation_id); return new; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "participants_inbox_order_trigger" BEFORE INSERT on "participants" for each ROW execute function "participants_participants_inbox_order_trigger_fn"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "conversations_inbox_order_trigger" on "conversations";`);
    this.addSql(`drop function if exists "conversations_conversations_inbox_order_trigger_fn"();`);
    this.addSql(`create index "conversations_last_message_at_index" on "conversations" ("last_message_at");`);

    this.addSql(`drop index "participants_inbox_idx";`);
    this.addSql(`drop trigger if exists "participants_inbox_order_trigger" on "participants";`);
    this.addSql(`drop function if exists "participants_participants_inbox_order_trigger_fn"();`);
    this.addSql(`alter table "participants" drop column "conversation_last_message_at";`);
  }

}
