/**
 * users.search (reads.ts, searchUsers): whichever way it finds them (on SQLite the trigram
 * index's candidates, or the walk of the username index), the same users as the plain
 * condition, in username order, less a conversation's members when asked.
 */
import { describe, expect, it } from 'vitest';
import { searchUsers, statementTimings, testDialects, UserSchema, type StatementTiming } from '../src/index.ts';
import { createConversation, createUsers, openTestDatabase, type TestDatabase } from './helpers.ts';

/** The users a search must find, by its definition: one walk, tested user by user. */
async function byDefinition(db: TestDatabase, query: string, excludeUserId: number, limit: number): Promise<string[]> {
  const pattern = `%${query.toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
  const rows = await db
    .em()
    .getConnection()
    .execute<{ username: string }[]>(
      `select username from users where id <> ? and (lower(username) like ? escape '\\' or lower(display_name) like ? escape '\\')
        order by username limit ?`,
      [excludeUserId, pattern, pattern, limit],
    );
  return rows.map((row) => row.username);
}

const found = async (db: TestDatabase, query: string, excludeUserId: number, limit = 20, notInConversationId?: number) =>
  (await searchUsers(db.em(), { query, excludeUserId, limit, notInConversationId })).map((user) => user.username);

describe.each(testDialects())('users.search on %s', (dialect) => {
  it('finds what the plain condition finds, for queries few users match and queries many do', async () => {
    await using db = await openTestDatabase(dialect);
    const now = dialect === 'sqlite' ? String(Date.now()) : 'now()';
    // 1,500 users: more than the trigram candidates the search tests before it walks instead.
    await db
      .em()
      .getConnection()
      .execute(
        `insert into users (username, display_name, password_hash, role, token_version, created_at)
         with recursive s(n) as (select 1 union all select n + 1 from s where n < 1500)
         select 'user' || n, 'User number ' || n, '!', 'user', 0, ${now} from s`,
      );
    const [me] = await createUsers(db.em(), 'me');
    if (!me) throw new Error('user not created');
    await createUsers(db.em(), 'elodie', 'ann_100%', 'quote"d', 'zed');
    const em = db.em();
    (await em.findOneOrFail(UserSchema, { username: 'elodie' })).displayName = 'Élodie Zola';
    await em.flush();

    const queries = [
      'user149', // 11 users: the trigram path on SQLite
      'number 149', // 11, in display names only
      'user', // 1,500: too many candidates, the walk
      'er 1', // hundreds, late in username order
      'us', // under three characters: always the walk
      'zzz', // nobody
      'zol', // found by the display name set after the user was created
      '_100%', // wildcards are literal
      'quote"d', // a quote in the query
      '"a*" or b', // FTS5 syntax is text to find
      'me', // never myself
    ];
    for (const query of queries) {
      expect(await found(db, query, me.id), query).toEqual(await byDefinition(db, query, me.id, 20));
    }
    expect(await found(db, 'user149', me.id)).toEqual(['user149', ...Array.from({ length: 10 }, (_, i) => `user149${i}`)]);
    expect(await found(db, 'zol', me.id)).toEqual(['elodie']);
    expect(await found(db, '_100%', me.id)).toEqual(['ann_100%']);
    expect(await found(db, 'quote"d', me.id)).toEqual(['quote"d']);
    expect(await found(db, '"a*" or b', me.id)).toEqual([]);
    expect(await found(db, 'user', me.id, 3)).toEqual(['user1', 'user10', 'user100']);

    // A group of the first 25 users the walk finds, and most of what the trigram path finds.
    const memberNames = [...(await byDefinition(db, 'user', me.id, 25)), 'user149', 'user1490', 'user1491', 'user1492', 'user1493', 'elodie'];
    const members = await em.find(UserSchema, { username: { $in: memberNames } });
    const group = await createConversation(em, 'group', [me, ...members]);
    const notMembers = async (query: string) =>
      (await byDefinition(db, query, me.id, 2_000)).filter((username) => !memberNames.includes(username)).slice(0, 20);
    for (const query of queries) {
      expect(await found(db, query, me.id, 20, group), query).toEqual(await notMembers(query));
    }
    // The limit counts the users left once the members are out.
    expect(await found(db, 'user', me.id, 3, group)).toEqual((await byDefinition(db, 'user', me.id, 28)).slice(25));
    expect(await found(db, 'user149', me.id, 20, group)).toEqual(['user1494', 'user1495', 'user1496', 'user1497', 'user1498', 'user1499']);
    expect(await found(db, 'zol', me.id, 20, group)).toEqual([]);
    // Another conversation's members are found as before.
    expect(await found(db, 'user149', me.id, 20, group + 1)).toEqual(await found(db, 'user149', me.id));
  });

  it('follows renames: found by the new name, no longer by the old', async () => {
    await using db = await openTestDatabase(dialect);
    const [me, ana] = await createUsers(db.em(), 'me', 'ana');
    if (!me || !ana) throw new Error('users not created');
    const em = db.em();
    const row = await em.findOneOrFail(UserSchema, ana.id);
    row.displayName = 'Anastasia Quill';
    await em.flush();
    expect(await found(db, 'quill', me.id)).toEqual(['ana']);
    row.displayName = 'Ana Brook';
    await em.flush();
    expect(await found(db, 'quill', me.id)).toEqual([]);
    expect(await found(db, 'brook', me.id)).toEqual(['ana']);
  });
});

describe.runIf(testDialects().includes('postgresql'))('users.search on postgresql, its plans', () => {
  it('reads the trigram indexes for a query few users match, and walks the usernames in order for one many match', async () => {
    await using db = await openTestDatabase('postgresql');
    const connection = db.em().getConnection();
    await connection.execute(
      `insert into users (username, display_name, password_hash, role, token_version, created_at)
       select 'user' || n, 'User number ' || n, '!', 'user', 0, now() from generate_series(1, 50000) n`,
    );
    await connection.execute('analyze users');
    const [me] = await createUsers(db.em(), 'me');
    if (!me) throw new Error('user not created');

    const members = await db.em().find(UserSchema, { username: { $in: ['user1', 'user10', 'user49999'] } });
    const group = await createConversation(db.em(), 'group', [me, ...members]);

    // The plan PostgreSQL makes for the statement users.search runs, with that call's values.
    const planOf = async (query: string, notInConversationId?: number) => {
      const heard: StatementTiming[] = [];
      const listener = (message: unknown) => heard.push(message as StatementTiming);
      statementTimings.subscribe(listener);
      try {
        await found(db, query, me.id, 20, notInConversationId);
      } finally {
        statementTimings.unsubscribe(listener);
      }
      const search = heard.find((timing) => /from users u where/.test(timing.sql));
      if (!search) throw new Error('no search statement heard');
      const pattern = `%${query}%`;
      const params = notInConversationId === undefined ? [me.id, pattern, pattern, 20] : [me.id, pattern, pattern, notInConversationId, 20];
      const rows = await connection.execute<{ 'QUERY PLAN': string }[]>(`explain ${search.sql}`, params);
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    };
    // Leaving a group's members out keeps the same ways in, each member a key probe.
    for (const notInConversationId of [undefined, group]) {
      for (const rare of ['zzz', 'user49999', '49999']) {
        const plan = await planOf(rare, notInConversationId);
        expect(plan, rare).toContain('users_username_trgm_idx');
        expect(plan, rare).toContain('users_display_name_trgm_idx');
      }
      // 50,000 matches: the first 20 in username order are the first 20 users of the walk.
      expect(await planOf('user', notInConversationId)).toMatch(/Index Scan using users_username_unique/);
    }
  });
});
