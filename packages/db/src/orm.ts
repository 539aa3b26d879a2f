/**
 * The ORM config factory: one function picks SQLite or PostgreSQL from a database URL,
 * and `openDatabase` opens it with the committed migrations applied.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MikroORM, type EntityMetadata, type Options } from '@mikro-orm/core';
import pg from 'pg';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/sql';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { entities } from './entities.ts';
import { addDialectIndexes } from './dialect-indexes.ts';
import { addTriggers } from './triggers.ts';

export const DIALECTS = ['sqlite', 'postgresql'] as const;
export type Dialect = (typeof DIALECTS)[number];
export type EntityManager = SqlEntityManager;
export type Database = MikroORM<AbstractSqlDriver, EntityManager>;
export type OrmConfig = Partial<Options<AbstractSqlDriver, EntityManager>>;

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_SQLITE_PATH = './data/parley.db';

export interface DatabaseTarget {
  dialect: Dialect;
  /** A file path (or `:memory:`) for SQLite, a connection URL for PostgreSQL. */
  location: string;
}

/**
 * Reads a DATABASE_URL: `postgres://…` / `postgresql://…` selects PostgreSQL;
 * `sqlite:<path>`, `file:<path>` or a bare path selects SQLite; empty selects the default file.
 */
export function parseDatabaseUrl(url: string | undefined): DatabaseTarget {
  if (!url) return { dialect: 'sqlite', location: DEFAULT_SQLITE_PATH };
  if (/^postgres(ql)?:\/\//.test(url)) return { dialect: 'postgresql', location: url };
  const path = url.replace(/^(sqlite|file):(\/\/)?/, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path) || path === '') {
    throw new Error(`DATABASE_URL must be postgres://… or a SQLite path (sqlite:./data/parley.db), got "${url}"`);
  }
  return { dialect: 'sqlite', location: path };
}

/** Which database an EntityManager talks to, for the few places where the SQL differs. */
export function dialectOf(em: EntityManager): Dialect {
  return em.getDriver() instanceof SqliteDriver ? 'sqlite' : 'postgresql';
}

export function migrationsPath(dialect: Dialect): string {
  return resolve(packageRoot, 'migrations', dialect);
}

export interface OrmConfigOptions {
  /** Log every SQL statement (noisy; for debugging). */
  debug?: boolean;
  /** Connection pool size for PostgreSQL. */
  poolMax?: number;
}

export function createOrmConfig(target: DatabaseTarget, options: OrmConfigOptions = {}): OrmConfig {
  const shared = {
    entities,
    debug: options.debug ?? false,
    extensions: [Migrator],
    // Triggers differ per dialect (their bodies are each database's own language), and some indexes are one dialect's.
    discovery: {
      onMetadata: (meta: EntityMetadata) => {
        addTriggers(meta, target.dialect);
        addDialectIndexes(meta, target.dialect);
      },
    },
    // Services work on explicit forks (one per call); the global manager is never used for work.
    allowGlobalContext: false,
    // PostgreSQL's send path is a function written by hand in its migration (SQLite has no
    // functions to mirror it), and SQLite's trigram index for users.search a virtual table
    // (with its shadow tables): not metadata, so the schema diff must not drop them.
    schemaGenerator: { ignoreRoutines: true, skipTables: [/^users_search/] },
    migrations: {
      path: migrationsPath(target.dialect),
      glob: '!(*.d).ts',
      emit: 'ts',
      snapshot: false,
      silent: true,
      transactional: true,
      allOrNothing: true,
    },
  } satisfies OrmConfig;

  if (target.dialect === 'postgresql') {
    return {
      ...shared,
      driver: PostgreSqlDriver,
      clientUrl: target.location,
      // A connection once opened stays open (pg-pool closes idle ones after 10 s by default).
      // A new one costs its first statements their parse and PostgreSQL's catalog and
      // plpgsql caches, 50-110 ms each on this two-core machine: every burst after a quiet
      // spell stalled on them (fan-out p99 212-463 ms at 1,000 deliveries/s with p50 6-8 ms).
      pool: { min: 0, max: options.poolMax ?? 10, idleTimeoutMillis: 0 },
    };
  }
  return { ...shared, driver: SqliteDriver, dbName: target.location };
}

/** Opens the database, applies pending migrations, and tunes SQLite for a server workload. */
export async function openDatabase(target: DatabaseTarget, options: OrmConfigOptions = {}): Promise<Database> {
  if (target.dialect === 'sqlite' && target.location !== ':memory:') {
    mkdirSync(dirname(resolve(target.location)), { recursive: true });
  }
  const orm = await MikroORM.init<AbstractSqlDriver, EntityManager>(createOrmConfig(target, options));
  if (target.dialect === 'sqlite') {
    const connection = orm.em.getConnection();
    // WAL lets readers run beside the writer; NORMAL is durable across process crashes in WAL mode.
    await connection.execute('pragma journal_mode = WAL');
    await connection.execute('pragma synchronous = NORMAL');
    await connection.execute('pragma busy_timeout = 5000');
  }
  if (target.dialect === 'postgresql') await withMigrationLock(target.location, () => orm.migrator.up());
  else await orm.migrator.up();
  return orm;
}

/** An arbitrary constant naming Parley's migration lock among PostgreSQL advisory locks. */
const MIGRATION_LOCK_KEY = 7_274_539_201;

/**
 * Several instances may start at once against one PostgreSQL: a session advisory lock makes
 * them apply migrations one after another (the later ones then find nothing to do).
 */
async function withMigrationLock(url: string, work: () => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await work();
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}
