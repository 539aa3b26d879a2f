import { Migration } from '@mikro-orm/migrations';

/**
 * users.search's trigram indexes on PostgreSQL (dialect-indexes.ts), the counterpart of
 * SQLite's FTS5 table. pg_trgm ships with PostgreSQL (contrib) and is a trusted extension
 * (13+): a user with CREATE on the database may install it. Where it cannot be installed
 * (no such privilege, or no contrib) or used (installed in a schema off the search path),
 * a notice says so and the indexes are left out: users.search then walks the username
 * index, as it did before.
 */
export class Migration20261206163023_users_search_postgres extends Migration {

  override name = 'Migration20261206163023_users_search_postgres';

  override up(): void | Promise<void> {
    this.addSql(`do $$ begin
      create extension if not exists pg_trgm;
    exception when insufficient_privilege or undefined_file then
      raise notice 'pg_trgm cannot be installed (%): users.search will walk the users instead', sqlerrm;
    end $$;`);
    // Installed before in a schema off the search path (some hosts keep extensions apart),
    // its operator class is not found: the same notice, and no indexes.
    this.addSql(`do $$ begin
      if exists (select 1 from pg_extension where extname = 'pg_trgm') then
        create index "users_username_trgm_idx" on "users" using gin (lower("username") gin_trgm_ops);
        create index "users_display_name_trgm_idx" on "users" using gin (lower("display_name") gin_trgm_ops);
      end if;
    exception when undefined_object then
      raise notice 'pg_trgm is not on the search path (%): users.search will walk the users instead', sqlerrm;
    end $$;`);
  }

  override down(): void | Promise<void> {
    // The extension stays: other schemas may use it.
    this.addSql(`drop index if exists "users_username_trgm_idx";`);
    this.addSql(`drop index if exists "users_display_name_trgm_idx";`);
  }

}
