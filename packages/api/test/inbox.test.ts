/** conversations.list: the inbox, newest activity first, keyset pages, search. */
import { testDialects } from '@parley/db';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from './harness.ts';
import { anyString, expectFieldError, useTestApi } from './helpers.ts';

describe.each(testDialects())('inbox on %s', (dialect) => {
  const getApi = useTestApi(dialect);

  describe('paging', () => {
    let ina: TestUser;
    let jo: TestUser;
    /** Group ids in creation order: the inbox shows them newest first. */
    let created: number[] = [];

    beforeAll(async () => {
      const api = getApi();
      ina = await api.seedUser('ina');
      jo = await api.seedUser('jo_j');
      created = [];
      for (let i = 1; i <= 25; i += 1) {
        const group = await ina.api.conversations.create({ kind: 'group', title: `Group ${i}`, participantIds: [jo.id] });
        created.push(group.id);
      }
    });

    /** Every page of ina's inbox, following nextCursor. */
    async function allPages(limit: number) {
      const pages: number[][] = [];
      let cursor: string | null | undefined;
      do {
        const page = await ina.api.conversations.list({ limit, cursor });
        pages.push(page.items.map((item) => item.id));
        cursor = page.nextCursor;
      } while (cursor && pages.length < 50);
      return pages;
    }

    it('pages through 25 conversations 10 at a time: no duplicate, no gap, newest first', async () => {
      const pages = await allPages(10);
      expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
      expect(pages.flat()).toEqual([...created].reverse());
    });

    it('ends with nextCursor null when the last page is exactly full', async () => {
      const pages = await allPages(25);
      expect(pages.map((page) => page.length)).toEqual([25]);
      const fives = await allPages(5);
      expect(fives.map((page) => page.length)).toEqual([5, 5, 5, 5, 5]);
      expect(fives.flat()).toEqual([...created].reverse());
    });

    it('describes each conversation: participants, last message, unread count, last seq, my role', async () => {
      const [newest] = [...created].reverse();
      const first = await ina.api.conversations.list({ limit: 1 });
      expect(first.items[0]).toMatchObject({
        id: newest,
        kind: 'group',
        title: 'Group 25',
        myRole: 'owner',
        lastSeq: 0,
        messageCount: 0,
        lastMessage: null,
        unreadCount: 0,
      });
      expect(first.items[0]?.participants.map((p) => p.username).sort()).toEqual(['ina', 'jo_j']);
      const asMember = await jo.api.conversations.list({ limit: 1 });
      expect(asMember.items[0]).toMatchObject({ id: newest, myRole: 'member' });
    });

    it('moves a conversation to the top when a message arrives', async () => {
      const oldest = created[0] ?? 0;
      const sent = await jo.api.messages.send({ conversationId: oldest, body: 'bump', clientId: 'bump-1' });
      const page = await ina.api.conversations.list({ limit: 10 });
      expect(page.items[0]).toMatchObject({
        id: oldest,
        lastSeq: 1,
        unreadCount: 1,
        lastMessage: { id: sent.id, body: 'bump', senderId: jo.id },
      });
      const pages = await allPages(10);
      expect(pages.flat()).toEqual([oldest, ...[...created].reverse().filter((id) => id !== oldest)]);
      created = [...created.filter((id) => id !== oldest), oldest];
    });

    it('lists only my conversations', async () => {
      const api = getApi();
      const stranger = await api.seedUser('stranger');
      await expect(stranger.api.conversations.list({})).resolves.toEqual({ items: [], nextCursor: null });
      await stranger.api.conversations.create({ kind: 'self' });
      const mine = await stranger.api.conversations.list({});
      expect(mine.items.map((item) => item.kind)).toEqual(['self']);
    });

    it('rejects a limit outside 1–100 and a cursor that is not one of ours', async () => {
      for (const limit of [0, 101, 1.5]) await expectFieldError(ina.api.conversations.list({ limit }), 'limit');
      const garbage = ['garbage', '1_2_3', '_', '12_', '-1_5', '1.5_2', 'x'.repeat(41)];
      // Well-formed but out of range: past year 9999 (PostgreSQL cannot parse it) or a 33-bit id.
      const outOfRange = ['999999999999999_1', `${Date.UTC(10_000, 0, 1)}_1`, '1_2147483648', '1_9999999999'];
      for (const cursor of [...garbage, ...outOfRange]) {
        await expectFieldError(ina.api.conversations.list({ cursor }), 'cursor');
      }
    });

    it('accepts a cursor of a conversation that no longer exists, or from far in the future', async () => {
      await expect(ina.api.conversations.list({ cursor: '0_1' })).resolves.toEqual({ items: [], nextCursor: null });
      const future = await ina.api.conversations.list({ cursor: `${Date.UTC(2999, 0, 1)}_1`, limit: 100 });
      expect(future.items).toHaveLength(25);
      const farthest = await ina.api.conversations.list({
        cursor: `${Date.UTC(9999, 11, 31, 23, 59, 59, 999)}_2147483647`,
        limit: 100,
      });
      expect(farthest.items).toHaveLength(25);
    });
  });

  describe('order', () => {
    it("lists a group I was added to where its last message puts it, not where my joining would", async () => {
      const api = getApi();
      const [owner, newcomer, other] = await Promise.all([api.seedUser('ord_owner'), api.seedUser('ord_new'), api.seedUser('ord_other')]);
      const older = await owner.api.conversations.create({ kind: 'group', title: 'Older', participantIds: [other.id] });
      await owner.api.messages.send({ conversationId: older.id, body: 'long ago', clientId: 'ord-1' });
      const newer = await newcomer.api.conversations.create({ kind: 'direct', participantIds: [other.id] });
      await other.api.messages.send({ conversationId: newer.id, body: 'just now', clientId: 'ord-2' });

      await owner.api.conversations.addParticipants({ id: older.id, userIds: [newcomer.id] });
      const page = await newcomer.api.conversations.list({});
      expect(page.items.map((item) => [item.id, item.lastMessage?.body])).toEqual([
        [newer.id, 'just now'],
        [older.id, 'long ago'],
      ]);
      // The newest message moves it up for every member, the newcomer included.
      await other.api.messages.send({ conversationId: older.id, body: 'welcome', clientId: 'ord-3' });
      const after = await newcomer.api.conversations.list({});
      expect(after.items.map((item) => [item.id, item.unreadCount])).toEqual([
        [older.id, 1],
        [newer.id, 1],
      ]);
    });

    it('shows the newest message even when it was deleted, as a tombstone, and counts only live ones as unread', async () => {
      const api = getApi();
      const [writer, reader] = await Promise.all([api.seedUser('ord_writer'), api.seedUser('ord_reader')]);
      const dm = await writer.api.conversations.create({ kind: 'direct', participantIds: [reader.id] });
      await writer.api.messages.send({ conversationId: dm.id, body: 'kept', clientId: 'ord-4' });
      const last = await writer.api.messages.send({ conversationId: dm.id, body: 'regretted', clientId: 'ord-5' });
      await writer.api.messages.delete({ id: last.id });
      const [item] = (await reader.api.conversations.list({ limit: 1 })).items;
      expect(item).toMatchObject({ id: dm.id, unreadCount: 1, lastMessage: { id: last.id, body: '', deletedAt: anyString } });
    });
  });

  describe('unread further down', () => {
    it('counts the unread of the conversations past the pages loaded, muted ones left out', async () => {
      const api = getApi();
      const [reader, writer] = await Promise.all([api.seedUser('far_reader'), api.seedUser('far_writer')]);
      // Three groups get news for the reader (2, 3 and 1 messages, the last muted), then the
      // reader writes in five more: the three are past a first page of five.
      const newsy: number[] = [];
      for (const [index, count] of [2, 3, 1].entries()) {
        const group = await writer.api.conversations.create({ kind: 'group', title: `Newsy ${index}`, participantIds: [reader.id] });
        for (let n = 0; n < count; n += 1) await writer.api.messages.send({ conversationId: group.id, body: `news ${n}`, clientId: `far-${index}-${n}` });
        newsy.push(group.id);
      }
      const [, , muted] = newsy;
      if (muted === undefined) throw new Error('three groups');
      await reader.api.conversations.setMuted({ id: muted, muted: true });
      for (let index = 0; index < 5; index += 1) {
        const group = await reader.api.conversations.create({ kind: 'group', title: `Mine ${index}`, participantIds: [writer.id] });
        await reader.api.messages.send({ conversationId: group.id, body: 'mine', clientId: `far-mine-${index}` });
      }
      const first = await reader.api.conversations.list({ limit: 5 });
      expect(first.items.map((item) => item.unreadCount)).toEqual([0, 0, 0, 0, 0]);
      if (!first.nextCursor) throw new Error('a second page');
      expect(await reader.api.conversations.unreadBeyond({ cursor: first.nextCursor })).toEqual({ conversations: 2, messages: 5 });

      // Read elsewhere: the count follows. Past the last page: nothing.
      const [newest] = newsy.slice(1, 2);
      if (newest === undefined) throw new Error('three groups');
      await reader.api.conversations.markRead({ id: newest, seq: 3 });
      expect(await reader.api.conversations.unreadBeyond({ cursor: first.nextCursor })).toEqual({ conversations: 1, messages: 2 });
      const second = await reader.api.conversations.list({ limit: 5, cursor: first.nextCursor });
      expect(second.nextCursor).toBeNull();
      const last = second.items.at(-1);
      if (!last) throw new Error('a last row');
      const pastEverything = `${Date.parse(last.lastMessageAt)}_${last.id}`;
      expect(await reader.api.conversations.unreadBeyond({ cursor: pastEverything })).toEqual({ conversations: 0, messages: 0 });
      await expectFieldError(reader.api.conversations.unreadBeyond({ cursor: 'not-a-cursor' }), 'cursor');
    });
  });

  describe('search', () => {
    let sam: TestUser;
    let ids: Record<string, number>;

    beforeAll(async () => {
      const api = getApi();
      sam = await api.seedUser('sam');
      const kimLee = await api.seedUser('kim_lee', { displayName: 'Kim Lee' });
      const kimx = await api.seedUser('kimxlee', { displayName: 'Kimberly X' });
      const zoe = await api.seedUser('zoe', { displayName: 'Zoë 100% Real' });
      const ivan = await api.seedUser('ivanp', { displayName: 'Иван Петров' });
      const olof = await api.seedUser('olof', { displayName: 'Olof' });
      const create = async (kind: 'group' | 'direct', participantIds: number[], title?: string) =>
        (await sam.api.conversations.create({ kind, participantIds, title })).id;
      ids = {
        project: await create('group', [zoe.id], 'Project 100% done'),
        snake: await create('group', [kimx.id], 'snake_case club'),
        backslash: await create('group', [kimx.id], 'back\\slash'),
        plain: await create('group', [kimx.id], 'Plain'),
        bothKims: await create('group', [kimLee.id, kimx.id], 'Reunion'),
        kimLee: await create('direct', [kimLee.id]),
        kimx: await create('direct', [kimx.id]),
        zoe: await create('direct', [zoe.id]),
        oresund: await create('group', [olof.id], 'Élan Öresund'),
        ivan: await create('direct', [ivan.id]),
        notes: (await sam.api.conversations.create({ kind: 'self' })).id,
      };
    });

    const search = async (text: string) => {
      const page = await sam.api.conversations.list({ search: text, limit: 100 });
      const names = Object.fromEntries(Object.entries(ids).map(([name, id]) => [id, name]));
      return page.items.map((item) => names[item.id] ?? `unknown ${item.id}`).sort();
    };

    it('finds groups by title, case-insensitively', async () => {
      expect(await search('project')).toEqual(['project']);
      expect(await search('PROJECT 100')).toEqual(['project']);
      expect(await search('  plain  ')).toEqual(['plain']);
    });

    it('finds titles and names in any script, whatever their case', async () => {
      for (const query of ['Élan', 'élan', 'Öresund', 'ÖRESUND', 'öresund']) expect(await search(query), query).toEqual(['oresund']);
      for (const query of ['Иван', 'иван', 'Петров', 'ПЕТРОВ', 'ан П']) expect(await search(query), query).toEqual(['ivan']);
    });

    it('finds my notes by the name every client shows for them, "Notes to self"', async () => {
      for (const query of ['notes', 'Self', 'NOTES TO SELF', 's to s']) expect(await search(query), query).toEqual(['notes']);
      expect(await search('notes to self!')).toEqual([]);
    });

    it("finds conversations by the other person's username or display name", async () => {
      expect(await search('KIM LEE')).toEqual(['bothKims', 'kimLee']);
      expect(await search('kimberly')).toEqual(['backslash', 'bothKims', 'kimx', 'plain', 'snake']);
      // A group where two members match is listed once.
      expect(await search('kim')).toEqual(['backslash', 'bothKims', 'kimLee', 'kimx', 'plain', 'snake']);
    });

    it('treats % and _ as literal characters', async () => {
      expect(await search('%')).toEqual(['project', 'zoe']);
      expect(await search('100%')).toEqual(['project', 'zoe']);
      expect(await search('_')).toEqual(['bothKims', 'kimLee', 'snake']);
      expect(await search('kim_')).toEqual(['bothKims', 'kimLee']);
      expect(await search('\\')).toEqual(['backslash']);
    });

    it('does not match my own name, and finds nothing for text nobody has', async () => {
      expect(await search('sam')).toEqual([]);
      expect(await search('no such thing')).toEqual([]);
    });

    it('lists everything for a blank search and rejects more than 64 characters or NUL', async () => {
      expect(await search('   ')).toHaveLength(Object.keys(ids).length);
      await expectFieldError(sam.api.conversations.list({ search: 's'.repeat(65) }), 'search');
      await expectFieldError(sam.api.conversations.list({ search: 'a\u0000' }), 'search');
    });

    it('pages through search results', async () => {
      const first = await sam.api.conversations.list({ search: 'kim', limit: 3 });
      expect(first.items).toHaveLength(3);
      const second = await sam.api.conversations.list({ search: 'kim', limit: 3, cursor: first.nextCursor });
      expect(second.items).toHaveLength(3);
      expect(second.nextCursor).toBeNull();
      const all = [...first.items, ...second.items].map((item) => item.id);
      expect(new Set(all).size).toBe(6);
    });
  });
});
