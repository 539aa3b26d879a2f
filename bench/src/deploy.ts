/**
 * Deployments under test: a baseline server, or Parley on a fresh scratch database (SQLite
 * or PostgreSQL, seeded before the server starts) with one instance, or two instances that
 * share PostgreSQL and Redis as in production.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createScratchDatabase, dialectOf, openDatabase, type DatabaseTarget, type Dialect } from '@parley/db';
import type { Dataset } from './dataset.ts';
import { dropOnInterrupt } from './interrupt.ts';
import { loadDataset } from './load.ts';
import type { Endpoint, Protocol } from './load/jobs.ts';
import { startTarget, TARGET_ENTRIES, type ServerProcess } from './processes.ts';

export interface TargetSpec {
  /** Short name used in the table, the JSON and the chart. */
  id: string;
  label: string;
  protocol: Protocol;
  dialect?: Dialect;
  instances?: number;
  redis?: boolean;
}

export const TARGETS = {
  ws: { id: 'ws', label: 'raw ws (baseline)', protocol: 'ws' },
  socketio: { id: 'socketio', label: 'Socket.IO (baseline)', protocol: 'socketio' },
  trpc: { id: 'trpc', label: 'bare tRPC, in memory (baseline)', protocol: 'trpc' },
  sqlite: { id: 'sqlite', label: 'Parley, SQLite', protocol: 'parley', dialect: 'sqlite', instances: 1 },
  postgres: { id: 'postgres', label: 'Parley, PostgreSQL', protocol: 'parley', dialect: 'postgresql', instances: 1 },
  redis2: { id: 'redis2', label: 'Parley, 2 instances, PostgreSQL + Redis', protocol: 'parley', dialect: 'postgresql', instances: 2, redis: true },
} as const satisfies Record<string, TargetSpec>;
export type TargetId = keyof typeof TARGETS;

export interface DeployOptions {
  /** Seeded into the scratch database before Parley starts. */
  data?: Dataset;
  redisUrl?: string;
  onSeeded?: (seconds: number) => void;
}

export interface Deployment {
  spec: TargetSpec;
  endpoint: Endpoint;
  servers: ServerProcess[];
  /** Parley only: where its data lives. */
  database: DatabaseTarget | null;
  /** Stops the servers and drops the scratch database. */
  close(): Promise<void>;
}

export async function deploy(spec: TargetSpec, opts: DeployOptions = {}): Promise<Deployment> {
  if (spec.protocol !== 'parley') {
    const server = await startTarget({ name: spec.id, entry: TARGET_ENTRIES[spec.protocol], readyFrom: 'ipc' });
    return {
      spec,
      endpoint: { protocol: spec.protocol, urls: [server.url], pids: [server.pid] },
      servers: [server],
      database: null,
      close: () => server.stop(),
    };
  }
  const dialect = spec.dialect ?? 'sqlite';
  if (spec.redis && !opts.redisUrl) throw new Error(`${spec.label} needs Redis (PARLEY_TEST_REDIS_URL)`);
  const scratch = await createScratchDatabase(dialect);
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const servers: ServerProcess[] = [];
  const drop = async () => {
    await scratch.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const forget = dropOnInterrupt(drop);
  const close = async () => {
    forget();
    await Promise.all(servers.map((server) => server.stop()));
    await drop();
  };
  try {
    const started = performance.now();
    await seedDatabase(scratch.target, opts.data);
    opts.onSeeded?.((performance.now() - started) / 1000);
    const jwtSecret = randomBytes(32).toString('base64url');
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: scratch.target.location,
      JWT_SECRET: jwtSecret,
      // Info, as in production: it also carries the "Parley is listening" line the bench waits for.
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir,
      // Thousands of clients from one address, posting far faster than a person: the limits
      // (30 sends per 10 s per user, 60 upgrades per 10 s per address) would be what gets
      // measured. Every call still goes through the limiter, so its cost is counted.
      RATE_LIMIT_SCALE: '1000000',
      ...(spec.redis && opts.redisUrl ? { REDIS_URL: opts.redisUrl, REDIS_PREFIX: `parley-bench:${randomBytes(4).toString('hex')}:` } : {}),
    };
    for (let i = 0; i < (spec.instances ?? 1); i++) {
      servers.push(await startTarget({ name: `${spec.id}#${i + 1}`, entry: TARGET_ENTRIES.parley, env, readyFrom: 'log' }));
    }
    return {
      spec,
      endpoint: { protocol: 'parley', urls: servers.map((server) => server.url), pids: servers.map((server) => server.pid), jwtSecret },
      servers,
      database: scratch.target,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The tables a large dataset fills: their secondary indexes are built once, after the load. */
const BULK_TABLES = ['messages', 'conversation_events', 'participants'];

/**
 * Migrates the database and writes `data` into it (batched INSERTs, load.ts). For a large
 * dataset the secondary indexes of the big tables (on SQLite also their triggers, on
 * PostgreSQL also their unique and foreign-key constraints) are dropped first and recreated
 * afterwards from their own definitions: building an index from sorted data, or checking a
 * foreign key in one join, is many times faster than doing it row by row. Recreating a
 * constraint checks every row, and the schema ends up exactly as the migrations made it.
 */
export async function seedDatabase(target: DatabaseTarget, data: Dataset | undefined): Promise<void> {
  const db = await openDatabase(target);
  try {
    if (!data) return;
    const connection = db.em.getConnection();
    const sqlite = dialectOf(db.em.fork()) === 'sqlite';
    const bulk = data.messages.at.length >= 100_000;
    const recreate: string[] = [];
    if (bulk && sqlite) {
      // Triggers too: the load writes what they would (load.ts), and a trigger per row is slow.
      const dropped = await connection.execute<{ type: 'index' | 'trigger'; name: string; sql: string }[]>(
        `select type, name, sql from sqlite_master where type in ('index', 'trigger') and sql is not null and tbl_name in (${BULK_TABLES.map(() => '?').join(', ')})`,
        BULK_TABLES,
      );
      for (const { type, name, sql } of dropped) {
        await connection.execute(`drop ${type} "${name}"`);
        recreate.push(sql);
      }
    } else if (bulk) {
      // Foreign keys last when adding, first when dropping (contype 'f' sorts before 'u').
      const constraints = await connection.execute<{ table_name: string; name: string; definition: string }[]>(
        `select conrelid::regclass::text as table_name, conname as name, pg_get_constraintdef(oid) as definition
           from pg_constraint where contype in ('u', 'f') and conrelid::regclass::text in (${BULK_TABLES.map(() => '?').join(', ')})
          order by contype`,
        BULK_TABLES,
      );
      const indexes = await connection.execute<{ name: string; definition: string }[]>(
        `select indexname as name, indexdef as definition from pg_indexes
          where schemaname = current_schema() and tablename in (${BULK_TABLES.map(() => '?').join(', ')})
            and indexname not in (select conname from pg_constraint)`,
        BULK_TABLES,
      );
      for (const index of indexes) {
        await connection.execute(`drop index "${index.name}"`);
        recreate.push(index.definition);
      }
      for (const constraint of constraints) {
        await connection.execute(`alter table "${constraint.table_name}" drop constraint "${constraint.name}"`);
      }
      for (const constraint of constraints.toReversed()) {
        recreate.push(`alter table "${constraint.table_name}" add constraint "${constraint.name}" ${constraint.definition}`);
      }
    }
    // Room for what is still filled in random order: SQLite's default page cache (2 MiB)
    // makes a large load thrash. Only this loading connection uses it.
    if (sqlite) await connection.execute('pragma cache_size = -1000000');
    await loadDataset(db, data, () => undefined);
    for (const statement of recreate) await connection.execute(statement);
    if (sqlite) await connection.execute('pragma wal_checkpoint(truncate)');
    else await connection.execute('vacuum analyze');
  } finally {
    await db.close();
  }
}

/**
 * Moves a user's read markers `seqs` back in each of their conversations, never behind a
 * message of their own (as the API keeps them), and returns their unread count over their
 * `page` newest conversations, counted message by message.
 */
export async function putBehind(target: DatabaseTarget, userId: number, seqs: number, page: number): Promise<number> {
  const db = await openDatabase(target);
  try {
    const connection = db.em.getConnection();
    const greatest = target.dialect === 'sqlite' ? 'max' : 'greatest';
    await connection.execute(
      `update participants set last_read_seq = ${greatest}(0, (select c.last_seq from conversations c where c.id = participants.conversation_id) - ?,
         (select coalesce(max(m.seq), 0) from messages m where m.conversation_id = participants.conversation_id and m.sender_id = participants.user_id))
        where user_id = ?`,
      [seqs, userId],
    );
    const [row] = await connection.execute<{ unread: number | string | null }[]>(
      `select sum((select count(*) from messages m where m.conversation_id = p.conversation_id and m.seq > p.last_read_seq
                    and m.sender_id <> p.user_id and m.deleted_at is null)) as unread
         from (select * from participants where user_id = ? order by conversation_last_message_at desc, conversation_id desc limit ?) p`,
      [userId, page],
    );
    return Number(row?.unread ?? 0);
  } finally {
    await db.close();
  }
}

/** Rows of `table` whose column `column` starts with `prefix`: what the send path really stored. */
export async function countStored(target: DatabaseTarget, prefix: string): Promise<number> {
  const db = await openDatabase(target);
  try {
    const [row] = await db.em
      .getConnection()
      .execute<{ stored: number | string }[]>('select count(*) as stored from messages where client_id like ?', [`${prefix}%`]);
    return Number(row?.stored ?? 0);
  } finally {
    await db.close();
  }
}

/**
 * Per clientId starting with `prefix`: the conversation of each row that holds it (two
 * entries: stored twice). How the soak checks each acknowledged message by its clientId.
 */
export async function storedByClientId(target: DatabaseTarget, prefix: string): Promise<Map<string, number[]>> {
  const db = await openDatabase(target);
  try {
    const rows = await db.em
      .getConnection()
      .execute<{ client_id: string; conversation_id: number | string }[]>('select client_id, conversation_id from messages where client_id like ?', [`${prefix}%`]);
    const stored = new Map<string, number[]>();
    for (const row of rows) {
      const conversations = stored.get(row.client_id) ?? [];
      conversations.push(Number(row.conversation_id));
      stored.set(row.client_id, conversations);
    }
    return stored;
  } finally {
    await db.close();
  }
}
