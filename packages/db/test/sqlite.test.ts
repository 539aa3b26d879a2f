import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openDatabase, postMessageAsMember, startCheckpoints } from '../src/index.ts';
import { createConversation, createUsers, openTestDatabase } from './helpers.ts';

// SQLite only: these are the settings that make the embedded default fit a server.
describe('SQLite tuning', () => {
  it('opens in WAL mode with synchronous=NORMAL and waits on a busy database', async () => {
    await using db = await openTestDatabase('sqlite');
    const connection = db.orm.em.getConnection();
    const [journal] = await connection.execute<{ journal_mode: string }[]>('pragma journal_mode');
    const [sync] = await connection.execute<{ synchronous: number }[]>('pragma synchronous');
    const [busy] = await connection.execute<{ timeout: number }[]>('pragma busy_timeout');
    expect(journal?.journal_mode).toBe('wal');
    expect(sync?.synchronous).toBe(1); // 0 OFF, 1 NORMAL, 2 FULL
    expect(busy?.timeout).toBeGreaterThanOrEqual(1000);
  });

  it('checkpoints in a worker thread while the server writes, and keeps every message', async () => {
    await using db = await openTestDatabase('sqlite');
    const file = db.target.location;
    const [alice, bob] = await createUsers(db.em(), 'alice', 'bob');
    if (!alice || !bob) throw new Error('users not created');
    const id = await createConversation(db.em(), 'group', [alice, bob]);
    const autocheckpoint = async () =>
      (await db.orm.em.getConnection().execute<{ wal_autocheckpoint: number }[]>('pragma wal_autocheckpoint'))[0]?.wal_autocheckpoint;
    const send = (from: number, to: number) =>
      Promise.all(
        Array.from({ length: to - from }, (_, i) =>
          postMessageAsMember(db.orm, { conversationId: id, senderId: alice.id, body: `message ${from + i} `.padEnd(2_000, '.'), clientId: `m${from + i}` }),
        ),
      );

    const checkpoints = await startCheckpoints(db.orm, 10);
    // The server's connection leaves the checkpoints to the worker (it keeps a high threshold as a backstop).
    expect(await autocheckpoint()).toBe(10_000);
    const before = statSync(file).size;
    // ~2 MB of messages: below the backstop, so only the worker copies them into the file.
    await send(0, 1_000);
    const grown = await waitFor(() => statSync(file).size >= before + 2_000_000);
    expect(grown).toBe(true);
    await checkpoints.stop();
    await checkpoints.stop(); // idempotent
    expect(await autocheckpoint()).toBe(1_000);

    // Everything written is there for a connection opened afresh, and the file is sound.
    await send(1_000, 1_100);
    const reopened = await openDatabase(db.target);
    try {
      const connection = reopened.em.getConnection();
      const [count] = await connection.execute<{ n: number }[]>('select count(*) as n from messages where conversation_id = ?', [id]);
      const [integrity] = await connection.execute<{ integrity_check: string }[]>('pragma integrity_check');
      expect(count?.n).toBe(1_100);
      expect(integrity?.integrity_check).toBe('ok');
    } finally {
      await reopened.close();
    }
  });

  it('starts no worker for an in-memory database', async () => {
    const memory = await openDatabase({ dialect: 'sqlite', location: ':memory:' });
    try {
      const checkpoints = await startCheckpoints(memory);
      const [threshold] = await memory.em.getConnection().execute<{ wal_autocheckpoint: number }[]>('pragma wal_autocheckpoint');
      expect(threshold?.wal_autocheckpoint).toBe(1_000);
      await checkpoints.stop();
    } finally {
      await memory.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}
