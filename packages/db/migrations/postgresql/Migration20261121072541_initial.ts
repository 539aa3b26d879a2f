import { Migration } from '@mikro-orm/migrations';

export class Migration20261121072541_initial extends Migration {

  override name = 'Migration20261121072541_initial';

  override up(): void | Promise<void> {
    this.addSql(`create table "users" ("id" serial primary key, "username" varchar(32) not null, "display_name" varchar(64) not null, "password_hash" varchar(255) not null, "role" text not null default 'user', "token_version" int not null default 0, "created_at" timestamptz not null, "last_seen_at" timestamptz null);`);
    this.addSql(`alter table "users" add constraint "users_username_unique" unique ("username");`);

    this.addSql(`create table "conversations" ("id" serial primary key, "kind" text not null, "title" varchar(100) null, "direct_key" varchar(64) null, "created_by_id" int not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "last_seq" int not null default 0, "last_message_at" timestamptz not null, "message_count" int not null default 0);`);
    this.addSql(`alter table "conversations" add constraint "conversations_direct_key_unique" unique ("direct_key");`);
    this.addSql(`create index "conversations_last_message_at_index" on "conversations" ("last_message_at");`);

    this.addSql(`create table "participants" ("conversation_id" int not null, "user_id" int not null, "role" text not null default 'member', "joined_at" timestamptz not null, "last_read_seq" int not null default 0, primary key ("conversation_id", "user_id"));`);
    this.addSql(`create index "participants_user_conversation_idx" on "participants" ("user_id", "conversation_id");`);

    this.addSql(`create table "messages" ("id" serial primary key, "conversation_id" int not null, "seq" int not null, "sender_id" int not null, "body" text not null, "client_id" varchar(64) not null, "created_at" timestamptz not null, "edited_at" timestamptz null, "deleted_at" timestamptz null);`);
    this.addSql(`alter table "messages" add constraint "messages_conversation_seq_unique" unique ("conversation_id", "seq");`);
    this.addSql(`alter table "messages" add constraint "messages_sender_client_id_unique" unique ("sender_id", "client_id");`);

    this.addSql(`create table "conversation_events" ("conversation_id" int not null, "seq" int not null, "type" text not null, "message_id" int null, "actor_id" int not null, "payload" jsonb null, "created_at" timestamptz not null, primary key ("conversation_id", "seq"));`);

    this.addSql(`alter table "users" add constraint "users_role_check" check ("role" in ('user', 'admin'));`);

    this.addSql(`alter table "conversations" add constraint "conversations_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id");`);
    this.addSql(`alter table "conversations" add constraint "conversations_kind_check" check ("kind" in ('direct', 'group', 'self'));`);

    this.addSql(`alter table "participants" add constraint "participants_conversation_id_foreign" foreign key ("conversation_id") references "conversations" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "participants" add constraint "participants_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "participants" add constraint "participants_role_check" check ("role" in ('owner', 'admin', 'member'));`);

    this.addSql(`alter table "messages" add constraint "messages_conversation_id_foreign" foreign key ("conversation_id") references "conversations" ("id");`);
    this.addSql(`alter table "messages" add constraint "messages_sender_id_foreign" foreign key ("sender_id") references "users" ("id");`);

    this.addSql(`alter table "conversation_events" add constraint "conversation_events_conversation_id_foreign" foreign key ("conversation_id") references "conversations" ("id");`);
    this.addSql(`alter table "conversation_events" add constraint "conversation_events_message_id_foreign" foreign key ("message_id") references "messages" ("id") on delete set null;`);
    this.addSql(`alter table "conversation_events" add constraint "conversation_events_type_check" check ("type" in ('message.created', 'message.edited', 'message.deleted', 'participants.added', 'participant.removed', 'participant.left', 'conversation.renamed'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "conversations" drop constraint "conversations_created_by_id_foreign";`);
    this.addSql(`alter table "participants" drop constraint "participants_user_id_foreign";`);
    this.addSql(`alter table "messages" drop constraint "messages_sender_id_foreign";`);
    this.addSql(`alter table "participants" drop constraint "participants_conversation_id_foreign";`);
    this.addSql(`alter table "messages" drop constraint "messages_conversation_id_foreign";`);
    this.addSql(`alter table "conversation_events" drop constraint "conversation_events_conversation_id_foreign";`);
    this.addSql(`alter table "conversation_events" drop constraint "conversation_events_message_id_foreign";`);

    this.addSql(`drop table if exists "users" cascade;`);
    this.addSql(`drop table if exists "conversations" cascade;`);
    this.addSql(`drop table if exists "participants" cascade;`);
    this.addSql(`drop table if exists "messages" cascade;`);
    this.addSql(`drop table if exists "conversation_events" cascade;`);
  }

}
