import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  appendEvent,
  createScratchDatabase,
  migrationsPath,
  openDatabase,
  pendingSchemaChanges,
  postMessage,
  testDialects,
  unreadCountsOf,
} from '../src/index.ts';
import { createConversation, createUsers, onLocked, openDatabaseAt, openTestDatabase } from './helpers.ts';

describe.each(testDialects())('migrations on %s', (dialect) => {
  // The drift check: an entity changed without `pnpm db migration:create` fails here (and in
  // `pnpm db:check`), because the migrated schema no longer matches what the entities describe.
  it('bring a new database exactly to the schema the entities describe', async () => {
    await using db = await openTestDatabase(dialect);
    expect(await pendingSchemaChanges(db.orm)).toBe('');
  });

  it('are all applied on open, and opening again (a server restart) applies nothing', async () => {
    await using db = await openTestDatabase(dialect);
    const committed = readdirSync(migrationsPath(dialect)).filter((file) => file.endsWith('.ts'));
    expect(committed.length).toBeGreaterThan(0);
    expect(await db.orm.migrator.getPending()).toEqual([]);
    expect(await db.orm.migrator.getExecuted()).toHaveLength(committed.length);

    const reopened = await openDatabase(db.target);
    try {
      expect(await reopened.migrator.getExecuted()).toHaveLength(committed.length);
    } finally {
      await reopened.close();
    }
  });
});

describe.each(testDialects())('the role changes migration on %s', (dialect) => {
  it('keeps every event, and the log takes role changes and still moves a sender\'s read marker', async () => {
    await using db = await openDatabaseAt(dialect, 'Migration20261206163023_users_search_postgres');
    const { orm } = db;
    const [ana, ben] = await createUsers(orm.em.fork(), 'ana', 'ben');
    if (!ana || !ben) throw new Error('users not created');
    const id = await createConversation(orm.em.fork(), 'group', [ana, ben]);
    const change = (work: Parameters<typeof onLocked>[2]) => onLocked(orm.em.fork(), id, work);
    const send = (senderId: number) => change((tx, c) => postMessage(tx, c, { senderId, body: 'hi', clientId: `${c.lastSeq}` }));
    await send(ana.id);
    await change((tx, c) => appendEvent(tx, c, { type: 'conversation.renamed', actorId: ana.id, payload: { title: 'New' } }));
    await send(ben.id);
    const log = () =>
      orm.em
        .fork()
        .getConnection()
        .execute<{ seq: number; type: string; actor_id: number }[]>('select seq, type, actor_id from conversation_events where conversation_id = ? order by seq', [id]);
    const before = await log();
    expect(before.map((event) => event.type)).toEqual(['message.created', 'conversation.renamed', 'message.created']);

    await orm.migrator.up();
    expect(await log()).toEqual(before);
    await change((tx, c) => appendEvent(tx, c, { type: 'participant.role_changed', actorId: ana.id, payload: { userId: ben.id, role: 'admin' } }));
    // The trigger made again: ana's message moves her marker past everything before it.
    await send(ana.id);
    expect((await log()).map((event) => event.type)).toEqual([
      'message.created',
      'conversation.renamed',
      'message.created',
      'participant.role_changed',
      'message.created',
    ]);
    expect((await unreadCountsOf(orm.em.fork(), ana.id, [id])).get(id)).toBe(0);
    // ben has read nothing since his own message (seq 3): the role change is not a message.
    expect((await unreadCountsOf(orm.em.fork(), ben.id, [id])).get(id)).toBe(1);
    expect(await pendingSchemaChanges(orm)).toBe('');

    // Undone, it drops the role changes, which the old type check refuses, and keeps the rest.
    await orm.migrator.down({ to: 'Migration20261206163023_users_search_postgres' });
    expect((await log()).map((event) => event.seq)).toEqual([1, 2, 3, 5]);
  });
});

describe.each(testDialects())('the hidden-until-message migration on %s', (dialect) => {
  it('hides a DM nobody has written in from everyone but whoever opened it, and nothing else', async () => {
    await using db = await openDatabaseAt(dialect, 'Migration20261206234703_role_changes');
    const { orm } = db;
    const [ana, ben, cy] = await createUsers(orm.em.fork(), 'ana', 'ben', 'cy');
    if (!ana || !ben || !cy) throw new Error('users not created');
    const empty = await createConversation(orm.em.fork(), 'direct', [ana, ben], 'empty');
    const written = await createConversation(orm.em.fork(), 'direct', [ben, cy], 'written');
    await onLocked(orm.em.fork(), written, (tx, c) => postMessage(tx, c, { senderId: cy.id, body: 'hi', clientId: 'w1' }));
    const group = await createConversation(orm.em.fork(), 'group', [cy, ana]);

    await orm.migrator.up();
    const rows = await orm.em
      .fork()
      .getConnection()
      .execute<{ conversation_id: number; user_id: number; hidden: unknown }[]>(
        'select conversation_id, user_id, hidden_until_message as hidden from participants order by conversation_id, user_id',
      );
    expect(rows.map((row) => [row.conversation_id, row.user_id, Boolean(row.hidden)])).toEqual([
      [empty, ana.id, false],
      [empty, ben.id, true],
      [written, ben.id, false],
      [written, cy.id, false],
      [group, ana.id, false],
      [group, cy.id, false],
    ]);
  });
});

it('every dialect has the same migrations', () => {
  const names = (dialect: 'sqlite' | 'postgresql') =>
    readdirSync(migrationsPath(dialect)).filter((file) => file.endsWith('.ts')).sort();
  expect(names('postgresql')).toEqual(names('sqlite'));
});

describe.each(testDialects().filter((dialect) => dialect === 'postgresql'))('concurrent starts on %s', (dialect) => {
  it('let three instances open one new database at once: migrations are applied exactly once', async () => {
    const scratch = await createScratchDatabase(dialect);
    try {
      const orms = await Promise.all([openDatabase(scratch.target), openDatabase(scratch.target), openDatabase(scratch.target)]);
      const [first] = orms;
      if (!first) throw new Error('no database opened');
      const applied = await first.em.getConnection().execute('select name from mikro_orm_migrations');
      expect(applied).toHaveLength(readdirSync(migrationsPath(dialect)).filter((file) => file.endsWith('.ts')).length);
      await Promise.all(orms.map((orm) => orm.close()));
    } finally {
      await scratch.drop();
    }
  });
});

describe.each(testDialects().filter((dialect) => dialect === 'postgresql'))('hot rows on %s', (dialect) => {
  it('have conversations and participants vacuumed after 1,000 dead rows, whatever the size of the table', async () => {
    await using db = await openTestDatabase(dialect);
    const rows = await db.orm.em
      .getConnection()
      .execute<{ relname: string; reloptions: string[] }[]>(
        `select relname, reloptions from pg_class where relname in ('conversations', 'participants') and relkind = 'r' order by relname`,
      );
    const vacuumAfter = ['autovacuum_vacuum_scale_factor=0', 'autovacuum_vacuum_threshold=1000'];
    expect(rows).toEqual([
      { relname: 'conversations', reloptions: vacuumAfter },
      { relname: 'participants', reloptions: vacuumAfter },
    ]);
  });
});
