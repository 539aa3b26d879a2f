import { Migration } from '@mikro-orm/migrations';

export class Migration20261121072541_initial extends Migration {

  override name = 'Migration20261121072541_initial';

  override up(): void | Promise<void> {
    this.addSql(`create table \`users\` (\`id\` integer not null primary key autoincrement, \`username\` text not null, \`display_name\` text not null, \`password_hash\` text not null, \`role\` text check (\`role\` in ('user', 'admin')) not null default 'user', \`token_version\` integer not null default 0, \`created_at\` datetime not null, \`last_seen_at\` datetime null);`);
    this.addSql(`create unique index \`users_username_unique\` on \`users\` (\`username\`);`);

    this.addSql(`create table \`conversations\` (\`id\` integer not null primary key autoincrement, \`kind\` text check (\`kind\` in ('direct', 'group', 'self')) not null, \`title\` text null, \`direct_key\` text null, \`created_by_id\` integer not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`last_seq\` integer not null default 0, \`last_message_at\` datetime not null, \`message_count\` integer not null default 0, constraint \`conversations_created_by_id_foreign\` foreign key (\`created_by_id\`) references \`users\` (\`id\`));`);
    this.addSql(`create unique index \`conversations_direct_key_unique\` on \`conversations\` (\`direct_key\`);`);
    this.addSql(`create index \`conversations_created_by_id_index\` on \`conversations\` (\`created_by_id\`);`);
    this.addSql(`create index \`conversations_last_message_at_index\` on \`conversations\` (\`last_message_at\`);`);

    this.addSql(`create table \`participants\` (\`conversation_id\` integer not null, \`user_id\` integer not null, \`role\` text check (\`role\` in ('owner', 'admin', 'member')) not null default 'member', \`joined_at\` datetime not null, \`last_read_seq\` integer not null default 0, primary key (\`conversation_id\`, \`user_id\`), constraint \`participants_conversation_id_foreign\` foreign key (\`conversation_id\`) references \`conversations\` (\`id\`) on update cascade on delete cascade, constraint \`participants_user_id_foreign\` foreign key (\`user_id\`) references \`users\` (\`id\`) on update cascade on delete cascade);`);
    this.addSql(`create index \`participants_conversation_id_index\` on \`participants\` (\`conversation_id\`);`);
    this.addSql(`create index \`participants_user_id_index\` on \`participants\` (\`user_id\`);`);
    this.addSql(`create index \`participants_user_conversation_idx\` on \`participants\` (\`user_id\`, \`conversation_id\`);`);

    this.addSql(`create table \`messages\` (\`id\` integer not null primary key autoincrement, \`conversation_id\` integer not null, \`seq\` integer not null, \`sender_id\` integer not null, \`body\` text not null, \`client_id\` text not null, \`created_at\` datetime not null, \`edited_at\` datetime null, \`deleted_at\` datetime null, constraint \`messages_conversation_id_foreign\` foreign key (\`conversation_id\`) references \`conversations\` (\`id\`), constraint \`messages_sender_id_foreign\` foreign key (\`sender_id\`) references \`users\` (\`id\`));`);
    this.addSql(`create index \`messages_conversation_id_index\` on \`messages\` (\`conversation_id\`);`);
    this.addSql(`create index \`messages_sender_id_index\` on \`messages\` (\`sender_id\`);`);
    this.addSql(`create unique index \`messages_conversation_seq_unique\` on \`messages\` (\`conversation_id\`, \`seq\`);`);
    this.addSql(`create unique index \`messages_sender_client_id_unique\` on \`messages\` (\`sender_id\`, \`client_id\`);`);

    this.addSql(`create table \`conversation_events\` (\`conversation_id\` integer not null, \`seq\` integer not null, \`type\` text check (\`type\` in ('message.created', 'message.edited', 'message.deleted', 'participants.added', 'participant.removed', 'participant.left', 'conversation.renamed')) not null, \`message_id\` integer null, \`actor_id\` integer not null, \`payload\` json null, \`created_at\` datetime not null, primary key (\`conversation_id\`, \`seq\`), constraint \`conversation_events_conversation_id_foreign\` foreign key (\`conversation_id\`) references \`conversations\` (\`id\`), constraint \`conversation_events_message_id_foreign\` foreign key (\`message_id\`) references \`messages\` (\`id\`) on delete set null);`);
    this.addSql(`create index \`conversation_events_conversation_id_index\` on \`conversation_events\` (\`conversation_id\`);`);
    this.addSql(`create index \`conversation_events_message_id_index\` on \`conversation_events\` (\`message_id\`);`);
  }

  override down(): void | Promise<void> {

    this.addSql(`drop table if exists \`users\`;`);
    this.addSql(`drop table if exists \`conversations\`;`);
    this.addSql(`drop table if exists \`participants\`;`);
    this.addSql(`drop table if exists \`messages\`;`);
    this.addSql(`drop table if exists \`conversation_events\`;`);
  }

}
