import { testDialects } from '@parley/db';
import { beforeAll, describe, expect, it } from 'vitest';
import { z, ZodError } from 'zod';
import type { TestUser } from './harness.ts';
import { expectFieldError, MISSING_ID, rejectionOf, useTestApi } from './helpers.ts';

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
    await api.seedUser('ivanp', { displayName: 'Иван Петров' });
    await api.seedUser('sweden', { displayName: 'Élan Öresund' });
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

  it('finds names in any script, whatever their case', async () => {
    for (const query of ['Иван', 'иван', 'ИВАН', 'Петров', 'петров', 'ан П', 'Ив']) expect(await usernames(query), query).toEqual(['ivanp']);
    for (const query of ['Élan', 'élan', 'ÉLAN', 'Öresund', 'ÖRESUND', 'öresund', 'Ö']) expect(await usernames(query), query).toEqual(['sweden']);
    // Letters that only look alike are not the same.
    expect(await usernames('Elan')).toEqual([]);
  });

  it('finds people by "@username", as they are shown', async () => {
    expect(await usernames('@kate')).toEqual(['kate']);
    expect(await usernames('@KAT')).toEqual(['kat_w', 'kate']);
    expect(await usernames('  @rob ')).toEqual(['robert']);
    // Only one "@" is left out: nobody's name holds one.
    expect(await usernames('@@kate')).toEqual([]);
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

  it('rejects an empty, blank, "@"-only, overlong or NUL-carrying query', async () => {
    for (const query of ['', '   ', '@', ' @ ', 'q'.repeat(65), 'a\u0000']) {
      await expectFieldError(finder.api.users.search({ query }), 'query');
    }
  });
});

describe.each(testDialects())('users.search({ notInConversationId }) on %s', (dialect) => {
  const getApi = useTestApi(dialect);
  let owner: TestUser;
  let members: TestUser[];
  let outsider: TestUser;
  let groupId: number;

  beforeAll(async () => {
    const api = getApi();
    owner = await api.seedUser('owner');
    // Twelve members match "e" and come first by username: more than a page of 10.
    members = [];
    for (let index = 1; index <= 12; index++) members.push(await api.seedUser(`member${String(index).padStart(2, '0')}`));
    outsider = await api.seedUser('neve');
    await api.seedUser('newbie');
    await api.seedUser('zed');
    await api.seedUser('xavi');
    const group = await owner.api.conversations.create({ kind: 'group', title: 'Crew', participantIds: members.map((member) => member.id) });
    groupId = group.id;
  });

  const usernames = async (caller: TestUser, input: { query: string; limit?: number; notInConversationId?: number; excludeIds?: number[] }) =>
    (await caller.api.users.search(input)).map((user) => user.username);

  it('leaves out the people already picked for a new group, the limit counted after them', async () => {
    const picked = members.slice(0, 10).map((member) => member.id);
    expect(await usernames(owner, { query: 'e', limit: 10, excludeIds: picked })).toEqual(['member11', 'member12', 'neve', 'newbie', 'zed']);
    expect(await usernames(owner, { query: 'e', limit: 3, excludeIds: picked })).toEqual(['member11', 'member12', 'neve']);
    // With the group's members left out too; ids of nobody change nothing.
    expect(await usernames(owner, { query: 'e', notInConversationId: groupId, excludeIds: [outsider.id, MISSING_ID] })).toEqual(['newbie', 'zed']);
    expect(await usernames(owner, { query: 'e', limit: 2, excludeIds: [] })).toEqual(['member01', 'member02']);
  });

  it('takes at most a group\'s size of valid ids to leave out', async () => {
    for (const excludeIds of [[0], [1.5], ['1'], 7, Array.from({ length: 257 }, (_, index) => index + 1)]) {
      // Wrong types on purpose: what a client could send.
      const input = { query: 'e', excludeIds } as unknown as { query: string; excludeIds: number[] };
      await expectFieldError(owner.api.users.search(input), 'excludeIds');
    }
    await expect(owner.api.users.search({ query: 'e', excludeIds: Array.from({ length: 256 }, (_, index) => index + 1) })).resolves.toBeDefined();
  });

  it('finds the people not in the group, the limit counted after its members are left out', async () => {
    // Without it, the members fill the page.
    expect(await usernames(owner, { query: 'e', limit: 10 })).toEqual(members.slice(0, 10).map((member) => member.username));
    expect(await usernames(owner, { query: 'e', limit: 10, notInConversationId: groupId })).toEqual(['neve', 'newbie', 'zed']);
    expect(await usernames(owner, { query: 'e', limit: 2, notInConversationId: groupId })).toEqual(['neve', 'newbie']);
    expect(await usernames(owner, { query: 'member', notInConversationId: groupId })).toEqual([]);
    // Any member may ask, not only who can add people.
    const [member] = members;
    if (!member) throw new Error('members not seeded');
    expect(await usernames(member, { query: 'e', notInConversationId: groupId })).toEqual(['neve', 'newbie', 'zed']);
  });

  it('follows the membership: someone added is no longer found, someone who left is again', async () => {
    const [, , leaver] = members;
    if (!leaver) throw new Error('members not seeded');
    const zed = (await owner.api.users.search({ query: 'zed' }))[0];
    if (!zed) throw new Error('zed not found');
    await owner.api.conversations.addParticipants({ id: groupId, userIds: [zed.id] });
    await leaver.api.conversations.leave({ id: groupId });
    try {
      expect(await usernames(owner, { query: 'e', notInConversationId: groupId })).toEqual([leaver.username, 'neve', 'newbie']);
    } finally {
      await owner.api.conversations.removeParticipant({ id: groupId, userId: zed.id });
      await owner.api.conversations.addParticipants({ id: groupId, userIds: [leaver.id] });
    }
  });

  it('answers a non-member NOT_FOUND, exactly as member calls do, as if the conversation did not exist', async () => {
    const search = await rejectionOf(outsider.api.users.search({ query: 'e', notInConversationId: groupId }));
    const get = await rejectionOf(outsider.api.conversations.get({ id: groupId }));
    const missing = await rejectionOf(owner.api.users.search({ query: 'e', notInConversationId: MISSING_ID }));
    expect({ code: search.code, message: search.message }).toEqual({ code: 'NOT_FOUND', message: get.message });
    expect({ code: missing.code, message: missing.message }).toEqual({ code: 'NOT_FOUND', message: get.message });
  });

  it('takes only a valid conversation id', async () => {
    for (const notInConversationId of [0, -1, 1.5, 2 ** 31, '1', null]) {
      // Wrong types on purpose: what a client could send.
      const input = { query: 'e', notInConversationId } as unknown as { query: string; notInConversationId: number };
      await expectFieldError(owner.api.users.search(input), 'notInConversationId');
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
