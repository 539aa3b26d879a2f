import { describe, expect, it } from 'vitest';
import { openTestDatabase } from './helpers.ts';

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
});
