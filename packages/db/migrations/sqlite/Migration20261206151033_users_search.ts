import { Migration } from '@mikro-orm/migrations';

/**
 * users.search's trigram index (reads.ts, searchUsers): an FTS5 table over the users' names
 * (its content read from `users`, so nothing is stored twice), written by hand; the
 * triggers that keep it were generated from triggers.ts. SQLite only: PostgreSQL searches
 * in its own process, off the server's event loop.
 */
export class Migration20261206151033_users_search extends Migration {

  override name = 'Migration20261206151033_users_search';

  override up(): void | Promise<void> {
    this.addSql(`create virtual table \`users_search\` using fts5(username, display_name, content = 'users', content_rowid = 'id', tokenize = 'trigram');`);
    this.addSql(`insert into \`users_search\` (\`users_search\`) values ('rebuild');`);
    this.addSql(`create trigger \`users_search_insert_trigger\` AFTER INSERT on \`users\` for each ROW begin insert into users_search (rowid, username, display_name) values (new.id, new.username, new.display_name); end;`);
    this.addSql(`create trigger \`users_search_delete_trigger\` AFTER DELETE on \`users\` for each ROW begin insert into users_search (users_search, rowid, username, display_name) values ('delete', old.id, old.username, old.display_name); end;`);
    this.addSql(`create trigger \`users_search_update_trigger\` AFTER UPDATE on \`users\` for each ROW
  when old.username is not new.username or old.display_name is not new.display_name begin insert into users_search (users_search, rowid, username, display_name) values ('delete', old.id, old.username, old.display_name); insert into users_search (rowid, username, display_name) values (new.id, new.username, new.display_name); end;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists \`users_search_insert_trigger\`;`);
    this.addSql(`drop trigger if exists \`users_search_delete_trigger\`;`);
    this.addSql(`drop trigger if exists \`users_search_update_trigger\`;`);
    this.addSql(`drop table if exists \`users_search\`;`);
  }

}
