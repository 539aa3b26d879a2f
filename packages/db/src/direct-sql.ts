/**
 * Plain SQL on the driver's own client, for the hot paths (docs/ARCHITECTURE.md,
 * "Performance"). MikroORM writes every parameter into the SQL text, so no statement is
 * ever prepared once and reused, and it builds entities: about 0.4 ms of CPU a query, most
 * of a message send. Here a statement is prepared once per SQL text (better-sqlite3) or
 * named (pg, prepared once per connection), and rows come back plain.
 *
 * The same connection MikroORM uses (SQLite) or its pool (PostgreSQL): one database, one
 * set of connections, and what is committed here is what the ORM reads next.
 */
import { channel } from 'node:diagnostics_channel';
import { ConnectionException, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { SqliteConnection } from '@mikro-orm/sqlite';
import type { PostgreSqlConnection } from '@mikro-orm/postgresql';
import type { Pool } from 'pg';
import type { Dialect, EntityManager } from './orm.ts';
import { dialectOf } from './orm.ts';

export type SqlValue = string | number | null | Date;

/** What `statementTimings` publishes for each plain-SQL statement. */
export interface StatementTiming {
  sql: string;
  ms: number;
}

/**
 * The time of every plain-SQL statement, for whoever subscribes (`pnpm bench --profile`
 * does, in the server it profiles, to name the statements a CPU profile can only charge to
 * `all`): on SQLite the statement's run on the event loop, on PostgreSQL its round trip. Timed
 * only while someone listens; otherwise it costs one check a statement.
 */
export const statementTimings = channel('parley:sql');

/** Publishes the time of `sql` since `start` (performance.now()). */
const publishTiming = (sql: string, start: number) => statementTimings.publish({ sql, ms: performance.now() - start } satisfies StatementTiming);

function timed<T>(sql: string, run: () => T): T {
  const start = performance.now();
  try {
    return run();
  } finally {
    publishTiming(sql, start);
  }
}

/** PostgreSQL also takes arrays (`?::int[]`): a list is one parameter, so one SQL text. */
type PostgresValue = SqlValue | readonly SqlValue[];

/** What the hot paths need of better-sqlite3. */
interface SqliteStatement {
  readonly busy: boolean;
  readonly reader: boolean;
  all(params: readonly SqlValue[]): unknown[];
  run(params: readonly SqlValue[]): { changes: number };
}
interface SqliteDatabase {
  readonly inTransaction: boolean;
  prepare(sql: string): SqliteStatement;
  transaction<T>(work: () => T): () => T;
  function(name: string, options: { deterministic: boolean }, implementation: (value: unknown) => unknown): void;
}

/**
 * Text as the searches compare it (reads.ts): each character lower-cased on its own, as
 * PostgreSQL's lower() does. Lower-casing the whole text at once makes a final Σ a ς, so a
 * name would fold one way whole and another way in part.
 */
export function foldCase(text: string): string {
  let folded = '';
  for (const char of text) folded += char.toLowerCase();
  return folded;
}

/**
 * foldCase in SQL, on the server's SQLite connection: SQLite's own lower() folds only ASCII.
 * Registered on that connection alone (the only one that searches) and used only in
 * queries, never in the schema, so other connections and tools need not know it.
 */
export const FOLD_FUNCTION = 'parley_fold';

/** Works committed together at most: bounds how long one commit holds the event loop. */
const MAX_GROUP_COMMIT = 100;

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

const noop = () => undefined;

export const asError = (thrown: unknown) => (thrown instanceof Error ? thrown : new Error(String(thrown)));

export interface TurnGroupsOptions {
  /** Resolves when a group may be committed (default: at once). */
  ready?: () => Promise<void>;
  /**
   * One group in flight at a time: what is asked for while a group is being committed waits
   * and goes in the next, one group however many turns that took.
   */
  oneAtATime?: boolean;
}

/**
 * Group commit: what is asked for in one turn of the event loop (or, `oneAtATime`, while the
 * previous group is committed) is handed to `commit` as one group (at most MAX_GROUP_COMMIT;
 * the rest go in the next group), once `ready` resolves, and each caller hears back its own
 * outcome. A `commit` that throws fails its whole group.
 */
export class TurnGroups<Item, Result> {
  readonly #commit: (items: Item[]) => Outcome<Result>[] | Promise<Outcome<Result>[]>;
  readonly #ready: () => Promise<void>;
  readonly #oneAtATime: boolean;
  readonly #queued: { item: Item; settle: (outcome: Outcome<Result>) => void }[] = [];
  #scheduled = false;
  /** The group being committed (settled, never rejected), when groups go one at a time. */
  #inFlight: Promise<void> | null = null;

  constructor(commit: (items: Item[]) => Outcome<Result>[] | Promise<Outcome<Result>[]>, options: TurnGroupsOptions = {}) {
    this.#commit = commit;
    this.#ready = options.ready ?? (() => Promise.resolve());
    this.#oneAtATime = options.oneAtATime ?? false;
  }

  add(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.#queued.push({ item, settle: (outcome) => (outcome.ok ? resolve(outcome.value) : reject(outcome.error)) });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => void this.#commitQueued());
  }

  async #commitQueued(): Promise<void> {
    await this.#inFlight;
    await this.#ready();
    this.#scheduled = false;
    const group = this.#queued.splice(0, MAX_GROUP_COMMIT);
    if (this.#queued.length > 0) this.#schedule();
    let outcomes: Outcome<Result>[];
    try {
      const committing = this.#commit(group.map(({ item }) => item));
      if (this.#oneAtATime) this.#inFlight = Promise.resolve(committing).then(noop, noop);
      outcomes = await committing;
    } catch (error) {
      // The commit itself failed: nothing of the group is stored.
      for (const { settle } of group) settle({ ok: false, error: asError(error) });
      return;
    }
    group.forEach(({ settle }, i) => settle(outcomes[i] ?? { ok: false, error: new Error('no outcome') }));
  }
}

/** Statements of one SQLite connection, compiled once per SQL text. */
class SqliteStatements {
  readonly #database: SqliteDatabase;
  readonly #cache = new Map<string, SqliteStatement>();
  readonly #transactions = new TurnGroups<() => unknown, unknown>(
    (works) => this.#commitGroup(works),
    { ready: () => this.idle() },
  );

  constructor(database: SqliteDatabase) {
    this.#database = database;
  }

  all<Row>(sql: string, params: readonly SqlValue[] = []): Row[] {
    const statement = this.#statement(sql);
    const values = params.map(sqliteValue);
    if (statementTimings.hasSubscribers) return timed(sql, () => statement.all(values)) as Row[];
    return statement.all(values) as Row[];
  }

  run(sql: string, params: readonly SqlValue[] = []): number {
    const statement = this.#statement(sql);
    const values = params.map(sqliteValue);
    if (statementTimings.hasSubscribers) return timed(sql, () => statement.run(values)).changes;
    return statement.run(values).changes;
  }

  /**
   * Runs `work` in a transaction, synchronously (nothing else in the process runs inside
   * it), and resolves once it is committed. Group commit: the works asked for in one turn
   * of the event loop share one transaction, so the commit (the WAL writes) is paid once
   * for all of them, and one that throws rolls back only itself (see #commitGroup). A work
   * may run twice, so it does nothing but SQL. MikroORM's transactions on this connection
   * span awaits, so this waits until none is open (one would otherwise take our statements in).
   */
  transaction<T>(work: () => T): Promise<T> {
    return this.#transactions.add(work) as Promise<T>;
  }

  /**
   * Commits the works that succeed, each all or nothing. First all of them plainly in one
   * transaction: the usual case, where none throws. If one does, that transaction is rolled
   * back and the group runs again with each work in a savepoint of its own, so only the one
   * that throws is undone. (A savepoint for every work, every time, cost a send about 40 µs:
   * a third of its SQLite time.) Throws only when the commit itself fails.
   */
  #commitGroup(works: (() => unknown)[]): Outcome<unknown>[] {
    if (!statementTimings.hasSubscribers) return this.#commitWorks(works);
    // Its statements are timed on their own too: the difference is BEGIN and COMMIT.
    return timed(GROUP_COMMIT, () => this.#commitWorks(works));
  }

  #commitWorks(works: (() => unknown)[]): Outcome<unknown>[] {
    const workFailed = new Error('a work threw');
    try {
      return this.#database.transaction(() =>
        works.map((work): Outcome<unknown> => {
          try {
            return { ok: true, value: work() };
          } catch {
            throw workFailed;
          }
        }),
      )();
    } catch (error) {
      if (error !== workFailed) throw error;
    }
    return this.#database.transaction(() =>
      works.map((work): Outcome<unknown> => {
        try {
          // A transaction inside a transaction is a savepoint (better-sqlite3).
          return { ok: true, value: this.#database.transaction(work)() };
        } catch (error) {
          return { ok: false, error: asError(error) };
        }
      }),
    )();
  }

  /**
   * Resolves when no ORM transaction is open on the connection. Kysely queues the ORM's
   * queries behind its transactions; plain SQL must wait the same way, or it would read
   * (or write into) another request's uncommitted work.
   */
  async idle(): Promise<void> {
    while (this.#database.inTransaction) await new Promise((resolve) => setImmediate(resolve));
  }

  #statement(sql: string): SqliteStatement {
    const cached = this.#cache.get(sql);
    if (cached && !cached.busy) return cached;
    const statement = this.#database.prepare(sql);
    // The hot paths use a fixed set of SQL texts: the cache stays that size.
    if (!cached) this.#cache.set(sql, statement);
    return statement;
  }
}

/** How statementTimings names a SQLite group commit: the whole transaction, its works' statements included. */
export const GROUP_COMMIT = 'group commit (BEGIN, the works, COMMIT)';

/** MikroORM stores SQLite times as epoch milliseconds. */
const sqliteValue = (value: SqlValue) => (value instanceof Date ? value.getTime() : value);

/** Named statements on PostgreSQL: `?` placeholders numbered once per SQL text. */
export class PostgresStatements {
  readonly #pool: Pool;
  readonly #named = new Map<string, { name: string; text: string }>();
  readonly #lookups = new Map<string, TurnGroups<readonly SqlValue[], unknown[]>>();

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  all<Row>(sql: string, params: readonly PostgresValue[] = []): Promise<Row[]> {
    return this.#run<Row>(sql, this.#statement(sql), params);
  }

  /** `all` as an unnamed statement: parsed and planned for its values each time, where a named one soon keeps one generic plan. */
  allPlannedEachCall<Row>(sql: string, params: readonly PostgresValue[] = []): Promise<Row[]> {
    return this.#run<Row>(sql, { text: this.#statement(sql).text }, params);
  }

  async #run<Row>(sql: string, statement: { name?: string; text: string }, params: readonly PostgresValue[]): Promise<Row[]> {
    const start = statementTimings.hasSubscribers ? performance.now() : null;
    const result = await this.#pool.query({ ...statement, values: [...params] });
    if (start !== null) publishTiming(sql, start);
    return result.rows as Row[];
  }

  /**
   * A read by key, grouped: the reads of one SQL text asked for in one turn of the event loop
   * go as one statement, the keys as arrays joined to the same SQL (LATERAL), each row
   * tagged with its key's place. One round trip and one execution for many calls, where a
   * small read had cost both processes more than the read itself. Keys are numbers or text.
   */
  lookup<Row>(sql: string, key: readonly SqlValue[]): Promise<Row[]> {
    let group = this.#lookups.get(sql);
    if (!group) {
      group = new TurnGroups<readonly SqlValue[], unknown[]>(async (keys) => {
        const [only] = keys;
        if (keys.length === 1 && only) return [{ ok: true, value: await this.all(sql, only) }];
        const rows = await this.all<{ parley_item: number }>(groupedSql(sql, keys[0] ?? []), transpose(keys));
        const byKey = keys.map((): unknown[] => []);
        for (const row of rows) byKey[Number(row.parley_item) - 1]?.push(row);
        return byKey.map((value) => ({ ok: true, value }));
      });
      this.#lookups.set(sql, group);
    }
    return group.add(key) as Promise<Row[]>;
  }

  #statement(sql: string) {
    let named = this.#named.get(sql);
    if (!named) {
      let n = 0;
      named = { name: `parley_${this.#named.size + 1}`, text: sql.replace(/\?/g, () => `$${++n}`) };
      this.#named.set(sql, named);
    }
    return named;
  }
}

/**
 * `sql` (one key's read, `?` placeholders) for many keys: `unnest` of one array per
 * placeholder, numbered `with ordinality`, each row of `sql` for that key tagged with its
 * number as `parley_item`.
 */
function groupedSql(sql: string, key: readonly SqlValue[]): string {
  const arrays = key.map((value) => (typeof value === 'number' ? '?::int8[]' : '?::text[]'));
  const columns = key.map((_, i) => `k${i + 1}`);
  let n = 0;
  const perKey = sql.replace(/\?/g, () => `keys.${columns[n++] ?? ''}`);
  return `select keys.parley_item, one.* from unnest(${arrays.join(', ')}) with ordinality as keys(${columns.join(', ')}, parley_item)
    cross join lateral (${perKey}) one`;
}

/** Keys (one array of values each) as one array per placeholder. */
const transpose = (keys: readonly (readonly SqlValue[])[]): SqlValue[][] =>
  (keys[0] ?? []).map((_, i) => keys.map((key) => key[i] ?? null));

/** One statement outside a transaction (`?` placeholders), driver errors as the ORM's. */
type Query = <Row>(sql: string, params?: readonly SqlValue[]) => Promise<Row[]>;

export type DirectSql = {
  query: Query;
  /** A read by key outside a transaction: `query`, except that on PostgreSQL the same reads of one turn go as one statement. */
  lookup: Query;
  /**
   * `query`, except that PostgreSQL plans it for each call's values instead of keeping one
   * generic plan for the SQL text: for a statement whose best plan depends on them, as
   * users.search's does (a rare pattern reads the trigram indexes, a common one walks the
   * username index in order). Costs the planning (~0.1 ms) every call.
   */
  queryPlannedEachCall: Query;
} & (
  | { dialect: 'sqlite'; sqlite: SqliteStatements }
  | { dialect: 'postgresql'; postgres: PostgresStatements }
);

const opened = new WeakMap<object, Promise<DirectSql>>();

/**
 * The plain-SQL access of an open database (made on first use, shared by every
 * EntityManager of the database). Never inside the ORM's transactions: on PostgreSQL it
 * runs on a connection of its own.
 */
export function directSql(em: EntityManager): Promise<DirectSql> {
  const connection = em.getConnection();
  let direct = opened.get(connection);
  if (!direct) {
    direct = openDirect(em);
    opened.set(connection, direct);
  }
  return direct;
}

async function openDirect(em: EntityManager): Promise<DirectSql> {
  const connection = em.getConnection();
  const dialect: Dialect = dialectOf(em);
  if (dialect === 'sqlite') {
    // better-sqlite3's own types are not a dependency here: the slice used is declared above.
    const database = (await (connection as SqliteConnection).getNativeClient()) as unknown as SqliteDatabase;
    database.function(FOLD_FUNCTION, { deterministic: true }, (value) => (typeof value === 'string' ? foldCase(value) : value));
    const sqlite = new SqliteStatements(database);
    const query: Query = async (sql, params) => {
      try {
        await sqlite.idle();
        return sqlite.all(sql, params);
      } catch (error) {
        throw asOrmError(error);
      }
    };
    return { dialect, sqlite, query, lookup: query, queryPlannedEachCall: query };
  }
  const postgres = new PostgresStatements(await (connection as PostgreSqlConnection).getNativeClient());
  const query: Query = <Row>(sql: string, params: readonly SqlValue[] = []) => withOrmErrors(postgres.all<Row>(sql, params));
  const lookup: Query = <Row>(sql: string, params: readonly SqlValue[] = []) => withOrmErrors(postgres.lookup<Row>(sql, params));
  const queryPlannedEachCall: Query = <Row>(sql: string, params: readonly SqlValue[] = []) =>
    withOrmErrors(postgres.allPlannedEachCall<Row>(sql, params));
  return { dialect, postgres, query, lookup, queryPlannedEachCall };
}

/** `running`, its driver error rethrown as the ORM's (asOrmError). */
const withOrmErrors = <T>(running: Promise<T>): Promise<T> =>
  running.catch((error: unknown) => {
    throw asOrmError(error);
  });

/**
 * Driver errors as the ORM's exceptions, so callers and the API's error mapping treat
 * both paths alike (a unique violation is a CONFLICT or an idempotent retry; a lost
 * connection is SERVICE_UNAVAILABLE).
 */
export function asOrmError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = 'code' in error ? String(error.code) : '';
  if (code === '23505' || code.startsWith('SQLITE_CONSTRAINT_UNIQUE') || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new UniqueConstraintViolationException(error);
  }
  if (/^(ECONN|EPIPE|ETIMEDOUT|08|57P0)/.test(code)) return new ConnectionException(error);
  return error;
}

/** A time as the driver returns it: epoch ms (SQLite), a `timestamptz` string (PostgreSQL, as MikroORM configures pg), or a Date. */
export function timeOf(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number' || typeof value === 'bigint') return new Date(Number(value));
  if (typeof value === 'string') {
    // "2026-11-21 13:00:00.123+00" → ISO-8601.
    return new Date(value.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
  }
  throw new TypeError(`Not a time: ${String(value)}`);
}
