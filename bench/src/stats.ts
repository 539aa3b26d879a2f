/**
 * How long the stored admin statistics take on a large database:
 *   pnpm bench:stats [--messages 1000000] [--runs 7] [--dialect all|sqlite|postgresql] [--explain]
 *                    [--without-stats-indexes]   (drops the indexes the statistics use: "before")
 * Seeds a throw-away database per dialect (PostgreSQL only when PARLEY_TEST_POSTGRES_URL is
 * set), times `storedStats` cold (a new connection each run), warm (one connection) and
 * through the per-process cache, checks the figures against the seeded data, and drops
 * the database. Prints the machine it ran on, since the numbers mean nothing without it.
 */
import { statSync } from 'node:fs';
import { availableParallelism, cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createOrmConfig, createScratchDatabase, dialectOf, openDatabase, testPostgresUrl, type Database, type DatabaseTarget, type Dialect } from '@parley/db';
import { storedStats, storedStatsCache, type StoredStats } from '@parley/api';
import { MikroORM } from '@mikro-orm/core';
import { DAY_MS, generateDataset, type Dataset } from './dataset.ts';
import { dropOnInterrupt } from './interrupt.ts';
import { loadDataset } from './load.ts';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    users: { type: 'string', default: '2000' },
    conversations: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '7' },
    dialect: { type: 'string', default: 'all' },
    seed: { type: 'string', default: '42' },
    explain: { type: 'boolean', default: false },
    'without-stats-indexes': { type: 'boolean', default: false },
  },
});

function integerArg(name: string, value: string | undefined, min: number, max: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    console.error(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
    process.exit(2);
  }
  return parsed;
}

const messageCount = integerArg('messages', args.messages, 1_000, 5_000_000);
const userCount = integerArg('users', args.users, 2, 100_000);
const conversationCount = integerArg('conversations', args.conversations, 1, 1_000_000);
const runs = integerArg('runs', args.runs, 1, 50);
const seed = integerArg('seed', args.seed, 0, 2 ** 31);
if (!['all', 'sqlite', 'postgresql'].includes(args.dialect)) {
  console.error(`--dialect must be all, sqlite or postgresql, got "${args.dialect}"`);
  process.exit(2);
}
const chosen: Dialect[] = args.dialect === 'all' ? ['sqlite', 'postgresql'] : [args.dialect === 'sqlite' ? 'sqlite' : 'postgresql'];
const dialects = chosen.filter((dialect) => {
  if (dialect === 'postgresql' && !testPostgresUrl()) {
    console.log('postgresql: skipped (set PARLEY_TEST_POSTGRES_URL to include it)');
    return false;
  }
  return true;
});

/** The indexes added for the statistics (packages/db/src/entities.ts, MessageSchema). */
const STATS_INDEXES = ['messages_live_created_idx', 'messages_sender_created_idx'];

const format = (n: number) => n.toLocaleString('en-US');
/** Other work on the machine slows every figure here: it is printed beside them. */
const load = () => `load average ${loadavg().map((n) => n.toFixed(1)).join(' / ')}`;
const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;
const [cpu] = cpus();
console.log(`machine: ${cpu?.model.trim() ?? 'unknown CPU'}, ${availableParallelism()} cores, ` +
  `${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} free), Linux ${release()}, Node ${process.version}, ${load()}`);

const generationStart = performance.now();
const now = Date.now();
const data = generateDataset({ users: userCount, conversations: conversationCount, messages: messageCount, days: 365, now, seed });
const expected = expectedFigures(data);
console.log(
  `data: ${format(userCount)} users, ${format(data.conversations.kind.length)} conversations, ${format(messageCount)} messages ` +
    `over 365 days (seed ${seed}): ${format(expected.lastMonth)} in the last 30 UTC days, ${format(expected.today)} today, ` +
    `${format(expected.deleted)} deleted; ${format(data.events.seq.length)} events; generated in ${((performance.now() - generationStart) / 1000).toFixed(1)} s`,
);

for (const dialect of dialects) {
  const scratch = await createScratchDatabase(dialect);
  const forget = dropOnInterrupt(() => scratch.drop());
  try {
    await benchmark(scratch.target);
  } finally {
    forget();
    await scratch.drop();
  }
}

async function benchmark(target: DatabaseTarget) {
  const seedStart = performance.now();
  let db = await openDatabase(target);
  const version = await serverVersion(db);
  await loadDataset(db, data, (table, rows) => process.stderr.write(`  ${target.dialect}: ${table} ${format(rows)} rows\n`));
  if (args['without-stats-indexes']) {
    for (const index of STATS_INDEXES) await db.em.getConnection().execute(`drop index ${index}`);
  }
  await settle(db);
  const size = await databaseSize(db, target);
  await db.close();
  const indexes = args['without-stats-indexes'] ? ' WITHOUT the statistics indexes' : '';
  console.log(`\n${target.dialect} ${version}${indexes}: seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s, ${(size / 2 ** 20).toFixed(0)} MiB`);

  // Cold: a new connection each run, so the database's own page cache starts empty (the
  // operating system's file cache and PostgreSQL's shared buffers stay as they are).
  const cold: number[] = [];
  for (let run = 0; run < runs; run++) {
    db = await openDatabase(target);
    cold.push((await timed(() => storedStats(db.em.fork(), new Date(now)))).ms);
    await db.close();
  }
  report('cold  ', cold, 'a new connection each');
  console.log(`  (${load()})`);

  db = await openDatabase(target);
  try {
    const warm: number[] = [];
    let figures: StoredStats | undefined;
    await storedStats(db.em.fork(), new Date(now));
    for (let run = 0; run < runs; run++) {
      const result = await timed(() => storedStats(db.em.fork(), new Date(now)));
      warm.push(result.ms);
      figures = result.value;
    }
    report('warm  ', warm, 'one connection, after a first run');

    const cache = storedStatsCache(db);
    const first = await timed(() => cache.get());
    const cached: number[] = [];
    for (let run = 0; run < runs; run++) cached.push((await timed(() => cache.get())).ms);
    report('cached', cached, `per-process cache, after a first call of ${ms(first.ms)}`);

    if (figures) checkFigures(figures);
    if (args.explain) await explainQueries(target);
  } finally {
    await db.close();
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

function report(label: string, samples: number[], how: string) {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted.length % 2 ? (sorted[(sorted.length - 1) / 2] ?? 0) : ((sorted[sorted.length / 2 - 1] ?? 0) + (sorted[sorted.length / 2] ?? 0)) / 2;
  console.log(`  stats ${label}  median ${ms(median).padStart(9)}   min ${ms(sorted[0] ?? 0).padStart(9)}   max ${ms(sorted.at(-1) ?? 0).padStart(9)}   (${samples.length} runs, ${how})`);
}

async function serverVersion(db: Database): Promise<string> {
  const connection = db.em.getConnection();
  const sqlite = dialectOf(db.em.fork()) === 'sqlite';
  const [row] = await connection.execute<{ version: string }[]>(sqlite ? 'select sqlite_version() as version' : 'show server_version');
  return row?.version ?? (row && 'server_version' in row ? String(row.server_version) : '?');
}

/** What a database in service would have reached by itself after a bulk load. */
async function settle(db: Database) {
  const connection = db.em.getConnection();
  // SQLite: fold the write-ahead log into the file. (No ANALYZE: Parley never runs it, so
  // the planner works without statistics, as in production.)
  if (dialectOf(db.em.fork()) === 'sqlite') await connection.execute('pragma wal_checkpoint(truncate)');
  // PostgreSQL: autovacuum would vacuum and analyze freshly inserted tables on its own soon.
  else await connection.execute('vacuum analyze');
}

async function databaseSize(db: Database, target: DatabaseTarget): Promise<number> {
  if (target.dialect === 'sqlite') return statSync(target.location).size;
  const [row] = await db.em.getConnection().execute<{ size: string }[]>('select pg_database_size(current_database()) as size');
  return Number(row?.size ?? 0);
}

/** Figures the benchmark can check cheaply against the generated data. */
function expectedFigures({ messages, users, conversations }: Dataset) {
  const today = Math.floor(now / DAY_MS);
  const perDay = new Map<number, number>();
  let deleted = 0;
  let lastMonth = 0;
  for (let i = 0; i < messages.at.length; i++) {
    if (!Number.isNaN(messages.deletedAt[i] ?? 0)) {
      deleted++;
      continue;
    }
    const day = Math.floor((messages.at[i] ?? 0) / DAY_MS);
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
    if (day > today - 30) lastMonth++;
  }
  return {
    users: users.createdAt.length,
    conversations: conversations.kind.length,
    messages: messages.at.length - deleted,
    deleted,
    lastMonth,
    today: perDay.get(today) ?? 0,
    perDay: Array.from({ length: 30 }, (_, i) => perDay.get(today - 29 + i) ?? 0),
  };
}

function checkFigures(stats: StoredStats) {
  const got = {
    users: stats.users.total,
    conversations: stats.conversations.total,
    messages: stats.messages.total,
    today: stats.messages.today,
    perDay: stats.messagesPerDay.map((day) => day.messages),
  };
  const want = { users: expected.users, conversations: expected.conversations, messages: expected.messages, today: expected.today, perDay: expected.perDay };
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    console.error(`  figures differ from the seeded data:\n    got  ${JSON.stringify(got)}\n    want ${JSON.stringify(want)}`);
    process.exitCode = 1;
  } else console.log('  figures match the seeded data (users, conversations, messages, today, 30 days)');
}

/** Prints the plan of every statement `storedStats` runs. */
async function explainQueries(target: DatabaseTarget) {
  const statements: { sql: string; params: readonly unknown[] }[] = [];
  const orm = await MikroORM.init({
    ...createOrmConfig(target),
    onQuery: (sql, params) => {
      statements.push({ sql, params });
      return sql;
    },
  });
  try {
    statements.length = 0;
    await storedStats(orm.em.fork(), new Date(now));
    const explain = target.dialect === 'sqlite' ? 'explain query plan' : 'explain (analyze, buffers, costs off)';
    const queries = statements.splice(0).filter(({ sql }) => /^\s*(select|with)\b/i.test(sql) && !sql.includes('pg_database'));
    for (const { sql, params } of queries) {
      const plan = await orm.em.getConnection().execute<Record<string, unknown>[]>(`${explain} ${sql}`, [...params]);
      console.log(`\n  ${sql.replace(/\s+/g, ' ')}`);
      for (const row of plan) console.log(`    ${target.dialect === 'sqlite' ? String(row.detail) : String(row['QUERY PLAN'])}`);
    }
  } finally {
    await orm.close();
  }
}
