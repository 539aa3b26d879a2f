import { testDialects } from '@parley/db';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from './harness.ts';
import { expectFieldError, useTestApi } from './helpers.ts';

describe.each(testDialects())('users.search on %s', (dialect) => {
  const getApi = useTestApi(dialect);
  let finder: TestUser;
  let kate: TestUser;
  let katw: TestUser;

  beforeAll(async () => {
    const api = getApi();
    finder = await api.seedUser('finder', { displayName: 'Kathrin Finder' });
    kate = await api.seedUser('kate', { displayName: 'Kate Bush' });
    katw = await api.seedUser('kat_w', { displayName: 'Kat W. 50%' });
    await api.seedUser('robert', { displayName: 'Bob' });
  });

  const usernames = async (query: string, limit?: number) =>
    (await finder.api.users.search({ query, limit })).map((user) => user.username);

  it('finds people by username or display name, case-insensitively, never me', async () => {
    expect(await usernames('kat')).toEqual(['kat_w', 'kate']);
    expect(await usernames('KATE BUSH')).toEqual(['kate']);
    expect(await usernames('bob')).toEqual(['robert']);
    expect(await usernames('finder')).toEqual([]);
    expect(await usernames('  rob  ')).toEqual(['robert']);
  });

  it('treats % and _ as literal characters', async () => {
    expect(await usernames('kat_')).toEqual(['kat_w']);
    expect(await usernames('%')).toEqual(['kat_w']);
    expect(await usernames('_')).toEqual(['kat_w']);
    // Quotes are data, not SQL.
    expect(await usernames("' or '1'='1")).toEqual([]);
    expect(await usernames("kat' --")).toEqual([]);
  });

  it('returns who is online with each user', async () => {
    const api = getApi();
    await api.presence.connected(kate.id);
    try {
      const found = await finder.api.users.search({ query: 'kat' });
      expect(found).toEqual([
        { id: katw.id, username: 'kat_w', displayName: 'Kat W. 50%', online: false },
        { id: kate.id, username: 'kate', displayName: 'Kate Bush', online: true },
      ]);
    } finally {
      await api.presence.disconnected(kate.id);
    }
  });

  it('honours limit 1–20', async () => {
    expect(await usernames('kat', 1)).toEqual(['kat_w']);
    for (const limit of [0, 21, 1.5]) await expectFieldError(finder.api.users.search({ query: 'kat', limit }), 'limit');
  });

  it('rejects an empty, blank, overlong or NUL-carrying query', async () => {
    for (const query of ['', '   ', 'q'.repeat(65), 'a\u0000']) {
      await expectFieldError(finder.api.users.search({ query }), 'query');
    }
  });
});
