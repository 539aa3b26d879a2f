import { testDialects } from '@parley/db';
import { beforeAll, describe, expect, it } from 'vitest';
import { z, ZodError } from 'zod';
import type { TestUser } from './harness.ts';
import { expectFieldError, rejectionOf, useTestApi } from './helpers.ts';

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

describe.each(testDialects())('users.byIds on %s', (dialect) => {
  const getApi = useTestApi(dialect);
  let asker: TestUser;
  let leaver: TestUser;
  let stranger: TestUser;

  beforeAll(async () => {
    const api = getApi();
    asker = await api.seedUser('asker', { displayName: 'Alice Asker' });
    leaver = await api.seedUser('leaver', { displayName: 'Bob Marley' });
    stranger = await api.seedUser('stranger', { displayName: 'Sam Stranger' });
  });

  it('names someone who wrote in my group and left it', async () => {
    const group = await asker.api.conversations.create({ kind: 'group', title: 'Band', participantIds: [leaver.id] });
    await leaver.api.messages.send({ conversationId: group.id, body: 'one love', clientId: 'by-ids-1' });
    await leaver.api.conversations.leave({ id: group.id });
    const detail = await asker.api.conversations.get({ id: group.id });
    expect(detail.participants.map((person) => person.id)).toEqual([asker.id]);

    expect(await asker.api.users.byIds({ ids: [leaver.id] })).toEqual([{ id: leaver.id, username: 'leaver', displayName: 'Bob Marley' }]);
  });

  it('answers by id, once per user, and leaves out ids with no user', async () => {
    const found = await asker.api.users.byIds({ ids: [stranger.id, 2 ** 31 - 1, leaver.id, stranger.id, asker.id] });
    expect(found).toEqual([
      { id: asker.id, username: 'asker', displayName: 'Alice Asker' },
      { id: leaver.id, username: 'leaver', displayName: 'Bob Marley' },
      { id: stranger.id, username: 'stranger', displayName: 'Sam Stranger' },
    ]);
    expect(await asker.api.users.byIds({ ids: [2 ** 31 - 1] })).toEqual([]);
  });

  it('takes 1–100 valid ids and says so beyond', async () => {
    const hundred = [leaver.id, ...Array.from({ length: 99 }, (_, index) => 2 ** 31 - 1 - index)];
    await expect(asker.api.users.byIds({ ids: hundred })).resolves.toMatchObject([{ id: leaver.id }]);
    const tooMany = await rejectionOf(asker.api.users.byIds({ ids: [...hundred, stranger.id] }));
    expect(tooMany.code).toBe('BAD_REQUEST');
    expect(tooMany.cause instanceof ZodError ? z.flattenError(tooMany.cause).fieldErrors : {}).toEqual({ ids: ['At most 100 ids per call'] });
    for (const ids of [[], [0], [-1], [1.5], [2 ** 31]]) await expectFieldError(asker.api.users.byIds({ ids }), 'ids');
  });

  it('answers only someone signed in', async () => {
    expect((await rejectionOf(getApi().anonymous.users.byIds({ ids: [leaver.id] }))).code).toBe('UNAUTHORIZED');
  });
});
