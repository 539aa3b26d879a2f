/**
 * statementTimings (direct-sql.ts): what `pnpm bench --profile` hears of the plain-SQL
 * statements, so its table names the statements a CPU profile charges to `all`.
 */
import { describe, expect, it } from 'vitest';
import { findUser, GROUP_COMMIT, postMessageAsMember, statementTimings, testDialects, type StatementTiming } from '../src/index.ts';
import { createConversation, createUsers, openTestDatabase } from './helpers.ts';

describe.each(testDialects())('statement timings on %s', (dialect) => {
  it('tells a subscriber every plain-SQL statement with its time, and nothing once it unsubscribed', async () => {
    await using db = await openTestDatabase(dialect);
    const [alice, bob] = await createUsers(db.em(), 'alice', 'bob');
    if (!alice || !bob) throw new Error('users not created');
    const conversationId = await createConversation(db.em(), 'group', [alice, bob]);

    const heard: StatementTiming[] = [];
    const listener = (message: unknown) => heard.push(message as StatementTiming);
    statementTimings.subscribe(listener);
    try {
      await postMessageAsMember(db.orm, { conversationId, senderId: alice.id, body: 'timed', clientId: 'c1' });
      await findUser(db.em(), bob.id);
    } finally {
      statementTimings.unsubscribe(listener);
    }
    const sqls = heard.map((timing) => timing.sql.replace(/\s+/g, ' '));
    // The send: its statements and its group commit on SQLite, its one function call on PostgreSQL.
    if (dialect === 'sqlite') {
      expect(sqls).toEqual(expect.arrayContaining([expect.stringMatching(/^insert into messages /), GROUP_COMMIT]));
    } else {
      expect(sqls).toEqual(expect.arrayContaining([expect.stringMatching(/from parley_post_messages\(/)]));
    }
    expect(sqls.at(-1)).toMatch(/from users u where u\.id = \?$/);
    for (const { ms } of heard) expect(ms).toBeGreaterThanOrEqual(0);

    const before = heard.length;
    await findUser(db.em(), alice.id);
    expect(heard).toHaveLength(before);
  });
});
