/**
 * Writes a generated dataset into a migrated, empty database in big batches, many per
 * transaction (the ORM's unit of work would take many minutes for a million rows):
 * multi-row INSERTs on SQLite; on PostgreSQL one INSERT … SELECT FROM unnest(arrays) per
 * batch, which PostgreSQL parses far faster than thousands of parameters. Ids are
 * explicit (1..n), so PostgreSQL's sequences are moved past them afterwards.
 */
import { dialectOf, type Database, type EntityManager } from '@parley/db';
import { bodyOf, type Dataset, EVENT_NAMES, KIND_NAMES } from './dataset.ts';

/** Rows per INSERT on SQLite: 2,000 rows of up to 9 columns stay under its 32,766 parameters. */
const SQLITE_ROWS_PER_INSERT = 2_000;
/** Rows per INSERT on PostgreSQL: one array parameter per column, whatever the row count. */
const POSTGRES_ROWS_PER_INSERT = 20_000;
/** Rows per transaction. */
const ROWS_PER_TRANSACTION = 100_000;

type Value = string | number | null;

export async function loadDataset(db: Database, data: Dataset, onProgress: (table: string, rows: number) => void): Promise<void> {
  const em = db.em.fork();
  const sqlite = dialectOf(em) === 'sqlite';
  // How each dialect stores a datetime: epoch milliseconds in SQLite, timestamptz in PostgreSQL.
  const time = (ms: number | undefined): Value =>
    ms === undefined || Number.isNaN(ms) ? null : sqlite ? ms : new Date(ms).toISOString();

  const insert = (table: string, columns: string[], count: number, row: (index: number) => Value[]) =>
    insertRows(em, table, columns, count, row).then(() => onProgress(table, count));

  const { users, conversations, messages, events } = data;
  await insert('users', ['id:int', 'username:text', 'display_name:text', 'password_hash:text', 'role:text', 'token_version:int', 'created_at:timestamptz', 'last_seen_at:timestamptz'], users.createdAt.length, (u) => [
    u + 1,
    `user${u + 1}`,
    `User ${u + 1}`,
    // No scrypt hash: nobody can sign in as a bench user.
    '!',
    u === 0 ? 'admin' : 'user',
    0,
    time(users.createdAt[u]),
    time(users.lastSeenAt[u]),
  ]);

  const kindOf = (c: number) => KIND_NAMES[conversations.kind[c] ?? 0] ?? 'direct';
  const membersOf = (c: number) => conversations.members[c] ?? new Int32Array();
  const directKey = (c: number) => {
    const [a = 0, b = 0] = membersOf(c);
    if (kindOf(c) === 'self') return `self:${a}`;
    return kindOf(c) === 'direct' ? `${Math.min(a, b)}:${Math.max(a, b)}` : null;
  };
  await insert(
    'conversations',
    ['id:int', 'kind:text', 'title:text', 'direct_key:text', 'created_by_id:int', 'created_at:timestamptz', 'updated_at:timestamptz', 'last_seq:int', 'last_message_at:timestamptz', 'message_count:int'],
    conversations.kind.length,
    (c) => [
      c + 1,
      kindOf(c),
      kindOf(c) === 'group' ? `Team ${c + 1}` : null,
      directKey(c),
      membersOf(c)[0] ?? 1,
      time(conversations.createdAt[c]),
      time(conversations.updatedAt[c]),
      conversations.lastSeq[c] ?? 0,
      time(conversations.lastMessageAt[c]),
      conversations.messageCount[c] ?? 0,
    ],
  );

  const participants: [conversation: number, user: number, first: boolean][] = [];
  conversations.members.forEach((members, c) => members.forEach((user, i) => participants.push([c, user, i === 0])));
  // The copy of the conversation's lastMessageAt is written here too: the trigger that keeps
  // it does not fire while PostgreSQL loads with foreign-key checks (and triggers) off, nor
  // on SQLite, whose large loads drop the triggers with the indexes (deploy.ts).
  const participantColumns = ['conversation_id:int', 'user_id:int', 'role:text', 'joined_at:timestamptz', 'last_read_seq:int', 'conversation_last_message_at:timestamptz'];
  // Each member's newest message per conversation: what they send, they have read (the
  // trigger that keeps that does not fire during the load either).
  const ownKey = (c: number, user: number) => c * (users.createdAt.length + 1) + user;
  const ownLastSeq = new Map<number, number>();
  for (let m = 0; m < messages.seq.length; m++) {
    const key = ownKey(messages.conversation[m] ?? 0, messages.sender[m] ?? 1);
    ownLastSeq.set(key, Math.max(ownLastSeq.get(key) ?? 0, messages.seq[m] ?? 0));
  }
  await insert('participants', participantColumns, participants.length, (p) => {
    const [c = 0, user = 1, first = false] = participants[p] ?? [];
    // Most members are caught up; the others a few events behind, never behind their own.
    const lastSeq = conversations.lastSeq[c] ?? 0;
    const behind = (p * 7919) % 5 === 0 ? Math.max(0, lastSeq - ((p * 31) % 12)) : lastSeq;
    const lastRead = Math.max(behind, ownLastSeq.get(ownKey(c, user)) ?? 0);
    return [c + 1, user, first && kindOf(c) === 'group' ? 'owner' : 'member', time(conversations.createdAt[c]), lastRead, time(conversations.lastMessageAt[c])];
  });

  await insert(
    'messages',
    ['id:int', 'conversation_id:int', 'seq:int', 'sender_id:int', 'body:text', 'client_id:text', 'created_at:timestamptz', 'edited_at:timestamptz', 'deleted_at:timestamptz'],
    messages.at.length,
    (m) => {
      const deleted = !Number.isNaN(messages.deletedAt[m] ?? Number.NaN);
      return [
        m + 1,
        (messages.conversation[m] ?? 0) + 1,
        messages.seq[m] ?? 0,
        messages.sender[m] ?? 1,
        deleted ? '' : bodyOf(m),
        `bench-${m + 1}`,
        time(messages.at[m]),
        time(messages.editedAt[m]),
        time(messages.deletedAt[m]),
      ];
    },
  );

  await insert('conversation_events', ['conversation_id:int', 'seq:int', 'type:text', 'message_id:int', 'actor_id:int', 'payload:jsonb', 'created_at:timestamptz'], events.seq.length, (e) => {
    const message = events.message[e] ?? 0;
    return [
      (messages.conversation[message] ?? 0) + 1,
      events.seq[e] ?? 0,
      EVENT_NAMES[events.type[e] ?? 0] ?? 'message.created',
      message + 1,
      messages.sender[message] ?? 1,
      null,
      time(events.at[e]),
    ];
  });

  if (!sqlite) {
    for (const table of ['users', 'conversations', 'messages']) {
      await em.getConnection().execute(`select setval(pg_get_serial_sequence('${table}', 'id'), (select max(id) from ${table}))`);
    }
  }
}

/**
 * Inserts `count` rows given column specs `name:type` (the type is PostgreSQL's, for the
 * arrays) and a function that makes row `index`.
 */
async function insertRows(em: EntityManager, table: string, columns: string[], count: number, row: (index: number) => Value[]) {
  const names = columns.map((column) => column.split(':')[0] ?? column).join(', ');
  const types = columns.map((column) => column.split(':')[1] ?? 'text');
  const sqlite = dialectOf(em) === 'sqlite';
  const perInsert = sqlite ? SQLITE_ROWS_PER_INSERT : POSTGRES_ROWS_PER_INSERT;
  const sqliteInsert = (rows: number) =>
    `insert into ${table} (${names}) values ${Array.from({ length: rows }, () => `(${types.map(() => '?').join(', ')})`).join(', ')}`;
  const postgresInsert = `insert into ${table} (${names}) select * from unnest(${types.map((type) => `?::${type}[]`).join(', ')})`;
  const fullSqliteInsert = sqliteInsert(perInsert);

  // The generated rows are consistent by construction; PostgreSQL checking each foreign key
  // row by row would double the load time. Skipping the checks needs a superuser.
  const skipForeignKeyChecks = !sqlite && (await isSuperuser(em));
  for (let start = 0; start < count; start += ROWS_PER_TRANSACTION) {
    const end = Math.min(count, start + ROWS_PER_TRANSACTION);
    await em.transactional(async (tx) => {
      const connection = tx.getConnection();
      if (skipForeignKeyChecks) await connection.execute('set local session_replication_role = replica', [], 'run', tx.getTransactionContext());
      for (let first = start; first < end; first += perInsert) {
        const last = Math.min(end, first + perInsert);
        if (sqlite) {
          const params: Value[] = [];
          for (let i = first; i < last; i++) params.push(...row(i));
          const sql = last - first === perInsert ? fullSqliteInsert : sqliteInsert(last - first);
          await connection.execute(sql, params, 'run', tx.getTransactionContext());
        } else {
          // One array literal per column (the ORM would spread a JavaScript array into a list).
          const arrays = types.map((): string[] => []);
          for (let i = first; i < last; i++) row(i).forEach((value, column) => arrays[column]?.push(arrayElement(value)));
          const params = arrays.map((values) => `{${values.join(',')}}`);
          await connection.execute(postgresInsert, params, 'run', tx.getTransactionContext());
        }
      }
    });
    // SQLite calls are synchronous, so without a pause the event loop would never get to a
    // signal (Ctrl-C) until the whole load is done.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** One element of a PostgreSQL array literal: NULL, or a double-quoted, escaped string. */
function arrayElement(value: Value): string {
  if (value === null) return 'NULL';
  return `"${String(value).replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

async function isSuperuser(em: EntityManager): Promise<boolean> {
  const [row] = await em.getConnection().execute<{ superuser: boolean }[]>('select rolsuper as superuser from pg_roles where rolname = current_user');
  return row?.superuser === true;
}
